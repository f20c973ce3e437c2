using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Configuration;
using RouterHost.Linux.Namespaces;
using RouterHost.Pipeline;
using RouterHost.Plugins;

namespace RouterHost.Linux.TestSupport;

/// <summary>
/// The router between network namespaces that the functional tests stand up (the Routing and Firewall stages'
/// <c>RoutedNamespaces</c>, LinuxTun's <c>TwoNamespaceRouter</c>, AF_XDP's <c>RoutedXdpNamespaces</c>): a configuration
/// validated and built into an in-process <see cref="Pipeline.Router"/> whose <see cref="PipelineRunner"/> runs, with
/// what the fixture made for it (namespaces, veth pairs) released after the router on <see cref="Dispose"/>; and the
/// traffic and counters those tests read. Linked into each of those test projects (not compiled here): it uses the
/// host's internal types, which each of them may see.
/// </summary>
internal sealed class InProcessRouter : IDisposable
{
    private readonly List<IDisposable> _owned;
    private int _stopped;

    private InProcessRouter(RouterOptions options, Router router, PipelineRunner runner, List<IDisposable> owned)
    {
        Options = options;
        Router = router;
        Runner = runner;
        _owned = owned;
    }

    /// <summary>The options the configuration was validated into.</summary>
    public RouterOptions Options { get; }

    /// <summary>The router built from the configuration.</summary>
    public Router Router { get; }

    /// <summary>Its running workers.</summary>
    public PipelineRunner Runner { get; }

    /// <summary>The exception that stopped a worker, if one did.</summary>
    public Exception? Fault { get; private set; }

    /// <summary>A configuration read from <paramref name="json"/> text.</summary>
    public static IConfigurationRoot Configuration(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();

    /// <summary>
    /// Validates <paramref name="configuration"/> (a problem fails the test), builds the router with the plugins of
    /// <paramref name="catalog"/> and starts its workers. <paramref name="owned"/> is released, last first, after the
    /// router on <see cref="Dispose"/>; when this throws, the caller still owns it.
    /// </summary>
    public static InProcessRouter Start(IConfigurationRoot configuration, PluginCatalog catalog, IEnumerable<IDisposable> owned)
    {
        List<Abstractions.ConfigurationProblem> problems = ConfigurationValidator.Validate(configuration, catalog, out RouterOptions options);
        Assert.Empty(problems);
        Router router = Router.Build(options, configuration, catalog, NullLoggerFactory.Instance);
        var runner = new PipelineRunner(router, NullLogger<PipelineRunner>.Instance);
        var result = new InProcessRouter(options, router, runner, [.. owned]);
        runner.Start(ex => result.Fault = ex);
        return result;
    }

    /// <summary>Releases, last first, what a fixture made before its router started (when starting it failed).</summary>
    public static void Release(IReadOnlyList<IDisposable> owned)
    {
        ArgumentNullException.ThrowIfNull(owned);
        for (int i = owned.Count - 1; i >= 0; i--)
        {
            owned[i].Dispose();
        }
    }

    /// <summary>
    /// Sends <paramref name="bytesPerFlow"/> pseudo-random bytes over each of <paramref name="flows"/> TCP connections
    /// from <paramref name="from"/> to a listener on <paramref name="server"/>:<paramref name="port"/> in
    /// <paramref name="to"/>, and returns, per flow, the SHA-256 of what was sent and of what arrived.
    /// </summary>
    /// <param name="describe">What to add to the failure when the receiver does not finish (the router's counters).</param>
    public static IReadOnlyList<(byte[] Sent, byte[] Received)> Transfer(
        NetworkNamespace from, NetworkNamespace to, IPAddress server, long bytesPerFlow, int flows, int port, Func<string>? describe = null)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        ArgumentNullException.ThrowIfNull(server);
        AddressFamily family = server.AddressFamily;
        using Socket listener = to.Run(() =>
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
            using Socket client = from.Run(() => new Socket(family, SocketType.Stream, ProtocolType.Tcp));
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

        Assert.True(acceptor.Wait(TimeSpan.FromSeconds(120)), $"the receiver did not finish{(describe is null ? string.Empty : "; " + describe())}");
        var byFlow = received.ToDictionary(r => r.Flow, r => r.Hash);
        return Enumerable.Range(0, flows).Select(f => (sent[f], byFlow.GetValueOrDefault(f, []))).ToList();
    }

    /// <summary>The counters of the meter <paramref name="meterName"/>, summed per interface ("xa:routerhost.afxdp.tx.kicks").</summary>
    public static Dictionary<string, long> MeterCounters(string meterName)
    {
        var totals = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == meterName)
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

            totals.AddOrUpdate($"{iface}:{instrument.Name}", value, (_, v) => v + value);
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return new Dictionary<string, long>(totals);
    }

    /// <summary>Stops the workers and releases the router (what the fixture made stays). Idempotent.</summary>
    public void StopRouter()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        Runner.Stop(TimeSpan.FromSeconds(5));
        Runner.Dispose();
        Router.Dispose();
    }

    /// <summary>Stops the router, then releases what the fixture made, last first.</summary>
    public void Dispose()
    {
        try
        {
            StopRouter();
        }
        finally
        {
            Release(_owned);
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
