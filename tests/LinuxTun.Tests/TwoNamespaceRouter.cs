using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Configuration;
using RouterHost.Linux.TestSupport;
using RouterHost.Pipeline;
using RouterHost.Plugins;
using RouterHost.TestPlugins.TestStages;

namespace RouterHost.Plugins.LinuxTun.Tests;

/// <summary>
/// Two network namespaces, each with a real TUN device owned by one RouterHost pipeline that crosses packets
/// between them (the Cross stage): the kernel in namespace A talks to the kernel in namespace B only through
/// RouterHost. A gets 10.1.0.1/24 and fd01::1/64 and routes to B's prefixes; B the mirror image.
/// </summary>
internal sealed class TwoNamespaceRouter : IDisposable
{
    public static readonly IPAddress AddressA4 = IPAddress.Parse("10.1.0.1");
    public static readonly IPAddress AddressB4 = IPAddress.Parse("10.2.0.2");
    public static readonly IPAddress AddressA6 = IPAddress.Parse("fd01::1");
    public static readonly IPAddress AddressB6 = IPAddress.Parse("fd02::2");

    private static readonly PluginCatalog s_catalog = PluginCatalog.Discover("/nonexistent", [typeof(LinuxTunBackendPlugin), typeof(CrossStagePlugin)]);

    private TwoNamespaceRouter(NetworkNamespace a, NetworkNamespace b, Router router, PipelineRunner runner, string exchange)
    {
        A = a;
        B = b;
        Router = router;
        Runner = runner;
        Exchange = exchange;
    }

    public NetworkNamespace A { get; }

    public NetworkNamespace B { get; }

    public Router Router { get; }

    public PipelineRunner Runner { get; }

    public string Exchange { get; }

    public Exception? Fault { get; private set; }

    /// <summary>What the Cross stage saw (superpackets by type, largest segment and header lengths, ...).</summary>
    public ConcurrentDictionary<string, long> Seen =>
        (ConcurrentDictionary<string, long>)AppContext.GetData($"RouterHost.TestStages.Cross/{Exchange}")!;

    /// <param name="offloadsA">The Offloads section for A's device, as JSON.</param>
    /// <param name="offloadsB">The Offloads section for B's device, as JSON.</param>
    public static TwoNamespaceRouter Start(string offloadsA = "{}", string offloadsB = "{}", int queues = 1, int mtu = 1500, int txQueueLength = 1000)
    {
        NetworkNamespace a = NetworkNamespace.Create("tuna");
        NetworkNamespace? b = null;
        try
        {
            b = NetworkNamespace.Create("tunb");
            string exchange = Guid.NewGuid().ToString("N");
            string json = $$"""
                {
                  "Pipeline": { "Stages": [ { "Type": "Cross", "Settings": { "A": "tunA", "B": "tunB", "Exchange": "{{exchange}}" } } ] },
                  "Interfaces": {
                    "tunA": { "Backend": "LinuxTun", "Settings": { "Namespace": "{{a.Name}}", "DeviceName": "rh0", "Queues": {{queues}}, "Mtu": {{mtu}}, "TxQueueLength": {{txQueueLength}},
                              "Addresses": [ "10.1.0.1/24", "fd01::1/64" ], "Routes": [ "10.2.0.0/24", "fd02::/64" ], "Offloads": {{offloadsA}} } },
                    "tunB": { "Backend": "LinuxTun", "Settings": { "Namespace": "{{b.Name}}", "DeviceName": "rh0", "Queues": {{queues}}, "Mtu": {{mtu}}, "TxQueueLength": {{txQueueLength}},
                              "Addresses": [ "10.2.0.2/24", "fd02::2/64" ], "Routes": [ "10.1.0.0/24", "fd01::/64" ], "Offloads": {{offloadsB}} } }
                  }
                }
                """;
            IConfigurationRoot configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
            List<Abstractions.ConfigurationProblem> problems = ConfigurationValidator.Validate(configuration, s_catalog, out RouterOptions options);
            Assert.Empty(problems);
            Router router = Router.Build(options, configuration, s_catalog, NullLoggerFactory.Instance);
            var runner = new PipelineRunner(router, NullLogger<PipelineRunner>.Instance);
            var result = new TwoNamespaceRouter(a, b, router, runner, exchange);
            runner.Start(ex => result.Fault = ex);
            return result;
        }
        catch
        {
            b?.Dispose();
            a.Dispose();
            throw;
        }
    }

    public TunContainer Container(string name) => (TunContainer)Router.Interfaces.Single(i => i.Name == name).Container;

    /// <summary>
    /// Sends <paramref name="bytesPerFlow"/> pseudo-random bytes over each of <paramref name="flows"/> TCP
    /// connections from A to B and returns, per flow, the SHA-256 of what was sent and of what arrived.
    /// </summary>
    public IReadOnlyList<(byte[] Sent, byte[] Received)> TransferAToB(bool ipv6, long bytesPerFlow, int flows = 1, int port = 5201)
    {
        IPAddress server = ipv6 ? AddressB6 : AddressB4;
        AddressFamily family = server.AddressFamily;
        using Socket listener = B.Run(() =>
        {
            var s = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(server, port));
            s.Listen(flows);
            return s;
        });

        var received = new ConcurrentBag<(int Flow, byte[] Hash)>();
        Task acceptor = Task.Run(() =>
        {
            var readers = new List<Task>();
            for (int i = 0; i < flows; i++)
            {
                Socket connection = listener.Accept();
                readers.Add(Task.Run(() =>
                {
                    using (connection)
                    {
                        connection.ReceiveTimeout = 60_000;
                        var first = new byte[4];
                        ReadExactly(connection, first);
                        int flow = BitConverter.ToInt32(first);
                        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                        var buffer = new byte[256 * 1024];
                        int n;
                        while ((n = connection.Receive(buffer)) > 0)
                        {
                            hash.AppendData(buffer, 0, n);
                        }

                        received.Add((flow, hash.GetHashAndReset()));
                    }
                }));
            }

            Task.WaitAll([.. readers]);
        });

        var sent = new byte[flows][];
        Parallel.For(0, flows, new ParallelOptions { MaxDegreeOfParallelism = flows }, flow =>
        {
            using Socket client = A.Run(() => new Socket(family, SocketType.Stream, ProtocolType.Tcp));
            client.SendTimeout = 60_000;
            client.Connect(new IPEndPoint(server, port));
            client.Send(BitConverter.GetBytes(flow));
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var random = new Random(flow + 1);
            var chunk = new byte[128 * 1024];
            for (long left = bytesPerFlow; left > 0; left -= chunk.Length)
            {
                random.NextBytes(chunk);
                int length = (int)Math.Min(left, chunk.Length);
                client.Send(chunk, 0, length, SocketFlags.None);
                hash.AppendData(chunk, 0, length);
            }

            client.Shutdown(SocketShutdown.Send);
            sent[flow] = hash.GetHashAndReset();
        });

        Assert.True(acceptor.Wait(TimeSpan.FromSeconds(120)), "the receiver did not finish");
        var byFlow = received.ToDictionary(r => r.Flow, r => r.Hash);
        return Enumerable.Range(0, flows).Select(f => (sent[f], byFlow.GetValueOrDefault(f, []))).ToList();
    }

    /// <summary>TCP segments retransmitted so far by namespace <paramref name="ns"/>'s kernel.</summary>
    public static long RetransmittedSegments(NetworkNamespace ns) => TcpCounters(ns)["Tcp.RetransSegs"];

    /// <summary>
    /// The kernel's TCP counters in <paramref name="ns"/> (/proc/net/snmp "Tcp" and /proc/net/netstat "TcpExt"),
    /// keyed "Tcp.Name" and "TcpExt.Name".
    /// </summary>
    public static Dictionary<string, long> TcpCounters(NetworkNamespace ns)
    {
        var counters = new Dictionary<string, long>();
        foreach (string file in new[] { "/proc/net/snmp", "/proc/net/netstat" })
        {
            string[] lines = ns.Exec("cat", file).EnsureSuccess().StdOut.Split('\n');
            for (int i = 0; i + 1 < lines.Length; i++)
            {
                string[] names = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                string[] values = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (names.Length < 2 || values.Length < 2 || names[0] != values[0] || names[0] is not ("Tcp:" or "TcpExt:"))
                {
                    continue;
                }

                for (int k = 1; k < names.Length && k < values.Length; k++)
                {
                    if (long.TryParse(values[k], System.Globalization.CultureInfo.InvariantCulture, out long v))
                    {
                        counters[$"{names[0].TrimEnd(':')}.{names[k]}"] = v;
                    }
                }

                i++;
            }
        }

        return counters;
    }

    /// <summary>Packets the kernel of <paramref name="ns"/> dropped on its TUN device's transmit queue (RouterHost read too slowly).</summary>
    public static long TxDropped(NetworkNamespace ns)
    {
        string[] lines = ns.Exec("cat", "/sys/class/net/rh0/statistics/tx_dropped").StdOut.Split('\n');
        return long.TryParse(lines[0].Trim(), out long n) ? n : ParseIpStatistics(ns);
    }

    private static long ParseIpStatistics(NetworkNamespace ns)
    {
        // ip -s link: the line after "TX:  bytes packets errors dropped" holds the numbers.
        string[] lines = ns.Ip("-s", "link", "show", "rh0").EnsureSuccess().StdOut.Split('\n');
        int header = Array.FindIndex(lines, l => l.TrimStart().StartsWith("TX:", StringComparison.Ordinal));
        return long.Parse(lines[header + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[3], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The LinuxTun meter's counters, summed per interface.</summary>
    public static Dictionary<string, long> TunCounters()
    {
        var totals = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TunMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string iface = string.Empty;
            foreach (var tag in tags)
            {
                if (tag.Key == "interface")
                {
                    iface = (string)tag.Value!;
                }
            }

            string key = $"{iface}:{instrument.Name}";
            totals[key] = totals.GetValueOrDefault(key) + value;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return totals;
    }

    public void Dispose()
    {
        try
        {
            Runner.Stop(TimeSpan.FromSeconds(5));
            Runner.Dispose();
            Router.Dispose();
        }
        finally
        {
            B.Dispose();
            A.Dispose();
        }
    }

    private static void ReadExactly(Socket socket, byte[] buffer)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = socket.Receive(buffer, read, buffer.Length - read, SocketFlags.None);
            if (n == 0)
            {
                throw new EndOfStreamException();
            }

            read += n;
        }
    }
}
