using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Linux;
using RouterHost.Plugins.LinuxTun;

namespace RouterHost.Benchmarks.LinuxTun;

public partial class TunBenchmarks
{
    /// <summary>One TUN device in the benchmark's namespace: its container and queue, the segments written to it, the sockets that send to it.</summary>
    private sealed class BenchmarkDevice : IDisposable
    {
        public TunContainer Container { get; private init; } = null!;

        public TunQueue Queue => (TunQueue)Container.Queues[0];

        public Packet[] Segments { get; private init; } = [];

        /// <summary>The address behind the device (10.99.n.2): sending to it puts packets into the TUN.</summary>
        public SocketAddress PeerAddress { get; private init; } = null!;

        public Socket Sender { get; private init; } = null!;

        public Socket GsoSender { get; private init; } = null!;

        public static BenchmarkDevice Create(string ns, string deviceName, int subnet, string offloadsJson)
        {
            string json = $$"""
                { "Settings": { "Namespace": "{{ns}}", "DeviceName": "{{deviceName}}", "Queues": 1, "Mtu": 1500,
                                "Addresses": [ "10.99.{{subnet}}.1/24" ], "Offloads": {{offloadsJson}} } }
                """;
            IConfigurationRoot configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
            var problems = new List<ConfigurationProblem>();
            TunSettings settings = TunSettings.Parse(configuration.GetSection("Settings"), deviceName, defaultQueues: 1, problems);
            if (problems.Count > 0)
            {
                throw new InvalidOperationException(string.Join("; ", problems));
            }

            TunContainer container = TunContainer.Create(deviceName, settings, BatchSize, NullLoggerFactory.Instance);
            Socket? sender = null;
            Socket? gsoSender = null;
            try
            {
                sender = NetworkNamespaceThread.Run(ns, () => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
                gsoSender = NetworkNamespaceThread.Run(ns, () => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
                gsoSender.SetRawSocketOption(SOL_UDP, UDP_SEGMENT, BitConverter.GetBytes(DatagramSize));
                var peer = IPAddress.Parse($"10.99.{subnet}.2");
                return new BenchmarkDevice
                {
                    Container = container,
                    Segments = TunBenchmarkSegments.Tcp(peer, s_dropDestination, BatchSize, Mss),
                    PeerAddress = new IPEndPoint(peer, 9).Serialize(),
                    Sender = sender,
                    GsoSender = gsoSender,
                };
            }
            catch
            {
                sender?.Dispose();
                gsoSender?.Dispose();
                container.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            Sender.Dispose();
            GsoSender.Dispose();
            Container.Dispose();
        }
    }
}
