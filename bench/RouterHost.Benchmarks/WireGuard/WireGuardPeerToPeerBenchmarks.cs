using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Configuration;
using RouterHost.Crypto;
using RouterHost.Packets;
using RouterHost.Pipeline;
using RouterHost.Plugins;
using RouterHost.TestPlugins.MemoryBackend;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Protocol;
using RouterHost.WireGuard.Stage;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.Benchmarks.WireGuard;

/// <summary>
/// A hub's peer-to-peer path, one batch of 64 IPv4 packets per operation: the runner's worker for the WireGuard stage's
/// socket takes 64 transport messages from spoke A and walks them through the real chain [Firewall, Routing, WireGuard]
/// (decrypted, the cryptokey check, routed to spoke B, accepted by a rule between the spokes' group, found in the
/// connection table after the first lap), turns them around to the WireGuard stage, which encrypts them for B and sends
/// them on loopback (one <c>sendmmsg</c>, UDP GSO). The baseline is what every operation does first: spoke A sealing
/// the 64 messages (the replay window refuses a counter twice, so each lap needs fresh ones). The stage's clock is held
/// still after the handshakes, so no session ages into a rekey while the benchmark runs. Must allocate nothing.
/// </summary>
[MemoryDiagnoser]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class WireGuardPeerToPeerBenchmarks
{
    private const int Packets = 64;
    private const int Slot = 2048;
    private const int Headroom = 64;
    private readonly string _directory = Directory.CreateTempSubdirectory("rh-bench-hub-").FullName;
    private readonly LocalIdentity _spokeA = new(KeyAgreementAlgorithm.X25519.GenerateKey());
    private readonly LocalIdentity _spokeB = new(KeyAgreementAlgorithm.X25519.GenerateKey());
    private readonly Socket _sink = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private Router _router = null!;
    private PipelineRunner _runner = null!;
    private QueueWorker _worker = null!;
    private Keypair _fromA = null!;
    private Keypair _fromB = null!;
    private byte[] _buffer = null!;
    private byte[] _plaintext = null!;

    [Params(64, 1420)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        string sink = $"127.0.0.1:{((IPEndPoint)_sink.LocalEndPoint!).Port}";
        using X25519PrivateKey key = KeyAgreementAlgorithm.X25519.GenerateKey();
        var secret = new byte[32];
        key.ExportPrivateKey(secret);
        string keyFile = Path.Combine(_directory, "hub.key");
        File.WriteAllText(keyFile, WireGuardKey.Format(secret));
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var data = new Dictionary<string, string?>
        {
            ["Pipeline:BatchSize"] = "64",
            ["Pipeline:Stages:0:Type"] = "Firewall",
            ["Pipeline:Stages:0:Settings:Rules:0:Direction"] = "inbound",
            ["Pipeline:Stages:0:Settings:Rules:0:From"] = "group:spokes",
            ["Pipeline:Stages:0:Settings:Rules:0:To"] = "group:spokes",
            ["Pipeline:Stages:0:Settings:Rules:0:Action"] = "accept",
            ["Pipeline:Stages:1:Type"] = "Routing",
            ["Pipeline:Stages:2:Type"] = "WireGuard",
            ["Pipeline:Stages:2:Name"] = "wg",
            ["Pipeline:Stages:2:Settings:PrivateKeyFile"] = keyFile,
            ["Pipeline:Stages:2:Settings:ListenPort"] = "0",
            ["Pipeline:Stages:2:Settings:ListenAddresses:0"] = "127.0.0.1",
            ["Pipeline:Stages:2:Settings:Sockets"] = "1",
            ["Pipeline:Stages:2:Settings:Peers:a:PublicKey"] = WireGuardKey.Format(_spokeA.PublicKey),
            ["Pipeline:Stages:2:Settings:Peers:a:Endpoint"] = sink,
            ["Pipeline:Stages:2:Settings:Peers:a:AllowedIPs:0"] = "10.5.0.0/16",
            ["Pipeline:Stages:2:Settings:Peers:a:Groups:0"] = "spokes",
            ["Pipeline:Stages:2:Settings:Peers:b:PublicKey"] = WireGuardKey.Format(_spokeB.PublicKey),
            ["Pipeline:Stages:2:Settings:Peers:b:Endpoint"] = sink,
            ["Pipeline:Stages:2:Settings:Peers:b:AllowedIPs:0"] = "10.6.0.0/16",
            ["Pipeline:Stages:2:Settings:Peers:b:Groups:0"] = "spokes",
            ["Interfaces:mem0:Backend"] = "Memory",
            ["Interfaces:mem0:Settings:Mode"] = "Generate",
        };
        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(data).Build();
        PluginCatalog catalog = PluginCatalog.Discover("/nonexistent", [.. PluginDiscovery.BuiltInFactories, typeof(MemoryBackendPlugin)]);
        var problems = ConfigurationValidator.Validate(configuration, catalog, out RouterOptions options);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", problems));
        }

        _router = Router.Build(options, configuration, catalog, NullLoggerFactory.Instance);
        _runner = new PipelineRunner(_router, NullLogger<PipelineRunner>.Instance);
        _worker = _runner.Workers.Single(w => w.InterfaceName == "stage/wg");
        var stage = (WireGuardStage)_router.Stages[2].Stage;
        (_, _fromA) = LoopbackStage.Establish(stage, stage.Peers[0], _spokeA);
        (_, _fromB) = LoopbackStage.Establish(stage, stage.Peers[1], _spokeB);
        long now = stage.Now;
        stage.Clock = () => now;

        // A's packet to B: IPv4/UDP 10.5.0.1 -> 10.6.0.1, TTL 64, a valid header checksum.
        _plaintext = new byte[Size];
        _plaintext[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(_plaintext.AsSpan(2), (ushort)Size);
        _plaintext[8] = 64;
        _plaintext[9] = IpProtocol.Udp;
        new byte[] { 10, 5, 0, 1, 10, 6, 0, 1 }.CopyTo(_plaintext, 12);
        Ipv4Header.WriteChecksum(_plaintext);
        BinaryPrimitives.WriteUInt16BigEndian(_plaintext.AsSpan(20), 4000);
        BinaryPrimitives.WriteUInt16BigEndian(_plaintext.AsSpan(22), 5000);
        BinaryPrimitives.WriteUInt16BigEndian(_plaintext.AsSpan(24), (ushort)(Size - 20));
        _buffer = GC.AllocateArray<byte>(Packets * Slot, pinned: true);

        // One lap first: every packet must reach B, or the benchmark would measure a drop path.
        ForwardedToSpokeB();
        long toB = stage.Sum().TxPackets[1];
        if (toB != Packets)
        {
            throw new InvalidOperationException($"the first lap sent {toB} of {Packets} packets to spoke B ({_worker.Received.DropTotal} dropped at the runner; stages: {string.Join(", ", _worker.StageCounters.Select(c => $"in {c.In} consumed {c.Consumed} dropped {c.DroppedTotal}"))})");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _runner.Dispose();
        _router.Dispose();
        _fromA.Dispose();
        _fromB.Dispose();
        _spokeA.Dispose();
        _spokeB.Dispose();
        _sink.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public int SealedBySpokeA_Baseline() => Fill();

    [Benchmark]
    public int ForwardedToSpokeB()
    {
        Fill();
        _worker.ProcessBatch();
        return _worker.Batch.Count;
    }

    private int Fill()
    {
        PacketBatch batch = _worker.Batch;
        batch.Clear();
        for (int i = 0; i < Packets; i++)
        {
            Span<byte> message = _buffer.AsSpan((i * Slot) + Headroom, Slot - Headroom);
            _plaintext.CopyTo(message[MessageLayout.TransportHeaderSize..]);
            int length = WireGuardBenchSession.Seal(_fromA, message, Size);
            ref Packet p = ref batch.Append(_buffer.AsMemory(i * Slot, Slot), Headroom, length);
            p.SourceSlot = (ushort)i;
        }

        return batch.Count;
    }
}
