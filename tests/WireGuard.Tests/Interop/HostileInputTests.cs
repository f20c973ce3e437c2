using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using RouterHost.Crypto;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Protocol;
using RouterHost.WireGuard.Stage;
using RouterHost.WireGuard.Tests.Support;
using static RouterHost.WireGuard.Tests.Support.TunnelNamespaces;

namespace RouterHost.WireGuard.Tests.Interop;

/// <summary>
/// A RouterHost node with an established tunnel to wireguard-go, attacked from the peer's namespace by a plain UDP
/// socket: garbage, truncated and oversized messages, forged MAC1, forged transport data, replayed initiations and
/// transport messages, and a flood of initiations that puts the node under load. The tunnel must keep carrying a TCP
/// stream byte-exact, the node must keep running, and every datagram must be accounted for by a counter.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class HostileInputTests
{
    private const int NodePort = 51820;
    private const int PeerPort = 51830;

    [Fact]
    public void Hostile_datagrams_are_counted_drops_the_flood_draws_cookie_replies_and_the_tunnel_keeps_carrying_traffic()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using NamespacePair net = TunnelNamespaces.Create("wgh");
        using var keys = new KeyPair();
        using var mallory = new KeyPair();
        using WireGuardGoPeer peer = WireGuardGoPeer.Start(net.B, PeerPort, ["10.88.0.2/24", "fd88::2/64"]);
        peer.SetPeer(keys.PublicKey, "10.88.0.1/32,fd88::1/128", endpoint: Endpoint(sideA: true, ipv6: false, NodePort));
        string settings = $$"""
            {
              "PrivateKeyFile": "{{keys.PrivateKeyFile}}", "ListenPort": {{NodePort}}, "Sockets": 1, "Namespace": "@NS", "ListenAddresses": [ "0.0.0.0" ],
              "Peers": {
                "go": { "PublicKey": "{{peer.PublicKey}}", "Endpoint": "{{Endpoint(sideA: false, ipv6: false, PeerPort)}}", "AllowedIPs": [ "10.88.0.2/32", "fd88::2/128" ] },
                "mallory": { "PublicKey": "{{mallory.PublicKey}}", "AllowedIPs": [ "10.99.0.9/32" ] } }
            }
            """;
        var log = new CapturedLog();
        using RouterHostNode node = RouterHostNode.Start(RouterHostNode.Config(net.A, ["10.88.0.1/24", "fd88::1/64"], settings), log);
        Assert.True(Ping(net.A, OverlayB4).Succeeded, node.Describe());
        WireGuardStage stage = node.Tunnel;
        Keypair legit = stage.Peers[0].Keypairs.Current!;
        long kernelDropsBefore = RcvbufErrors(net.A);
        Ledger before = Ledger.Read(node);

        using var transfer = BulkTransfer.Start(net.A, net.B, OverlayB4, 5201, 100L << 20, seed: 21);
        using Socket attacker = net.B.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(UnderlayB4, 0));
            s.ReceiveBufferSize = 8 << 20;
            return s;
        });
        var target = new IPEndPoint(UnderlayA4, NodePort);
        var replies = new ReplyCounter(attacker);
        long sent = 0;
        var random = new Random(5);
        Span<byte> buffer = new byte[2048];

        // 1. 100 000 datagrams of garbage, of every malformed shape.
        var expected = new Dictionary<string, long>();
        for (int i = 0; i < 100_000; i++)
        {
            int kind = random.Next(100);
            int length;
            string reason;
            if (kind < 40)
            {
                length = random.Next(0, 1400);
                random.NextBytes(buffer[..length]);
                if (length >= 4)
                {
                    buffer[1] |= 0x80; // never a valid type by chance
                }

                reason = length == 0 ? "underlay.empty" : "wireguard.not_wireguard";
            }
            else if (kind < 55)
            {
                length = random.Next(32, 1400);
                random.NextBytes(buffer[..length]);
                WriteType(buffer, MessageType.Transport);
                uint index;
                do
                {
                    index = (uint)random.Next();
                }
                while (stage.Indices.TryGet(index, out _));
                BinaryPrimitives.WriteUInt32LittleEndian(buffer[4..], index);
                reason = "wireguard.unknown_receiver";
            }
            else if (kind < 65)
            {
                length = random.Next(32, 1400);
                random.NextBytes(buffer[..length]);
                WriteType(buffer, MessageType.Transport);
                BinaryPrimitives.WriteUInt32LittleEndian(buffer[4..], legit.LocalIndex);
                BinaryPrimitives.WriteUInt64LittleEndian(buffer[8..], (ulong)random.Next(0, 1 << 30));
                reason = "wireguard.decrypt_failed";
            }
            else if (kind < 75)
            {
                MessageType type = random.Next(2) == 0 ? MessageType.Initiation : MessageType.Response;
                length = MessageLayout.HandshakeSize(type);
                random.NextBytes(buffer[..length]);
                WriteType(buffer, type);
                reason = "wireguard.bad_mac1";
            }
            else if (kind < 85)
            {
                MessageType type = (MessageType)random.Next(1, 5);
                int size = type == MessageType.Transport ? MessageLayout.TransportMinimumSize : MessageLayout.HandshakeSize(type);
                length = random.Next(4, size);
                random.NextBytes(buffer[..length]);
                WriteType(buffer, type);
                reason = "wireguard.bad_size";
            }
            else if (kind < 95)
            {
                MessageType type = (MessageType)random.Next(1, 4);
                length = random.Next(MessageLayout.HandshakeSize(type) + 1, 1500);
                random.NextBytes(buffer[..length]);
                WriteType(buffer, type);
                reason = "wireguard.bad_size";
            }
            else
            {
                length = random.Next(4, 1400);
                random.NextBytes(buffer[..length]);
                buffer[0] = (byte)random.Next(1, 5);
                buffer[1 + random.Next(3)] = (byte)random.Next(1, 256); // reserved bytes must be zero
                reason = "wireguard.not_wireguard";
            }

            expected[reason] = expected.GetValueOrDefault(reason) + 1;
            attacker.SendTo(buffer[..length], SocketFlags.None, target);
            sent++;
            if ((i & 1023) == 0)
            {
                Thread.Sleep(1); // the kernel's socket buffer is large, but the node shares two cores with this test
            }
        }

        // 2. A valid initiation from a configured peer is answered; replays of it are refused; so is a replayed transport.
        WaitUntilIdle(stage);
        using var malloryIdentity = new LocalIdentity(KeyAgreementAlgorithm.X25519.ImportPrivateKey(Decode(mallory.PrivateKey)));
        Assert.True(RemoteIdentity.TryCreate(malloryIdentity, stage.Local.PublicKey, [], out RemoteIdentity? nodeIdentity));
        using RemoteIdentity nodeAsPeer = nodeIdentity!;
        using var handshake = new Handshake();
        using var cookies = new CookieGenerator(nodeAsPeer);
        var initiation = new byte[MessageLayout.InitiationSize];
        Assert.True(NoiseHandshake.CreateInitiation(malloryIdentity, nodeAsPeer, handshake, 0x0badf00d, DateTimeOffset.UtcNow, initiation));
        cookies.AddMacs(initiation, Environment.TickCount64);
        attacker.SendTo(initiation, target);
        sent++;
        byte[] response = replies.WaitFor(MessageType.Response, TimeSpan.FromSeconds(10));
        Assert.Equal(HandshakeOutcome.Accepted, NoiseHandshake.TryConsumeResponse(malloryIdentity, nodeAsPeer, handshake, response));
        using Keypair session = NoiseHandshake.DeriveKeypair(handshake, Environment.TickCount64)!;
        for (int i = 0; i < 50; i++)
        {
            attacker.SendTo(initiation, target);
            sent++;
        }

        expected["wireguard.handshake.replayed_initiation"] = 50;
        var keepalive = new byte[MessageLayout.TransportMinimumSize];
        Assert.True(session.TryReserveCounter(out ulong counter));
        MessageLayout.WriteTransportHeader(keepalive, session.RemoteIndex, counter);
        AeadAlgorithm.ChaCha20Poly1305.Seal(session.SendKey, counter, keepalive.AsSpan(16), default);
        attacker.SendTo(keepalive, target);
        attacker.SendTo(keepalive, target);
        sent += 2;
        expected["wireguard.replayed"] = 1;

        // 3. Initiations with a forged MAC1.
        for (int i = 0; i < 1000; i++)
        {
            var forged = (byte[])initiation.Clone();
            forged[MessageLayout.InitiationMac1Offset + (i % 16)] ^= (byte)(1 << (i % 8));
            attacker.SendTo(forged, target);
            sent++;
        }

        expected["wireguard.bad_mac1"] = expected.GetValueOrDefault("wireguard.bad_mac1") + 1000;

        // 4. A flood of initiations that pass MAC1 (anyone who knows the node's public key can make them): the
        //    handshake queue backs up, the node is under load and answers with cookie replies instead of working.
        WaitUntilIdle(stage);
        var mac1Key = new byte[32];
        Blake2s.Hash("mac1----"u8, stage.Local.PublicKey, mac1Key);
        var flood = new byte[MessageLayout.InitiationSize];
        for (int i = 0; i < 100_000; i++)
        {
            random.NextBytes(flood);
            WriteType(flood, MessageType.Initiation);
            Blake2s.Mac(mac1Key, flood.AsSpan(0, MessageLayout.InitiationMac1Offset), flood.AsSpan(MessageLayout.InitiationMac1Offset, 16));
            flood.AsSpan(MessageLayout.InitiationMac2Offset, 16).Clear();
            attacker.SendTo(flood, target);
            sent++;
        }

        WaitUntilIdle(stage);
        transfer.AssertCompletes(TimeSpan.FromMinutes(3), () => $"{node.Describe()}\n{log.Text}");
        Assert.True(Ping(net.A, OverlayB4).Succeeded, node.Describe());
        Assert.True(Ping(net.B, OverlayA4).Succeeded, node.Describe());
        Assert.Null(node.Fault);

        // The flood drew cookie replies, and they reached the attacker.
        WireGuardCounters counters = stage.Sum();
        Assert.True(counters.CookieRepliesSent > 0, node.Describe());
        Assert.True(replies.Count(MessageType.CookieReply) > 0, $"no cookie reply arrived\n{node.Describe()}");

        // Every datagram that reached the node's socket is accounted for by exactly one counter: a drop with its reason,
        // an authenticated transport message, or a handshake message the handshake thread accepted or refused with its
        // reason. Every one the attacker sent reached the socket or was dropped by the kernel (counted there).
        Ledger after = Ledger.Read(node);
        Assert.True(after.Datagrams - before.Datagrams == after.Classified - before.Classified,
            $"read {after.Datagrams - before.Datagrams} datagrams, classified {after.Classified - before.Classified}\n{node.Describe()}");
        Assert.Equal(after.HandshakesQueued - before.HandshakesQueued, after.HandshakesHandled - before.HandshakesHandled);
        Assert.Equal(after.HandshakesHandled - before.HandshakesHandled, after.HandshakeOutcomes - before.HandshakeOutcomes);
        long kernelDrops = RcvbufErrors(net.A) - kernelDropsBefore;
        long fromAttacker = (after.Datagrams - before.Datagrams) - (after.LegitTransports - before.LegitTransports);
        Assert.True(fromAttacker + kernelDrops == sent, $"sent {sent}, read by the node {fromAttacker}, dropped by the kernel {kernelDrops}\n{node.Describe()}");

        // And each kind of hostile datagram shows up under its own reason.
        Dictionary<string, long> drops = Ledger.Drops(node);
        foreach ((string reason, long count) in expected)
        {
            Assert.True(drops.GetValueOrDefault(reason) >= count - kernelDrops, $"{reason}: expected at least {count}, counted {drops.GetValueOrDefault(reason)}\n{node.Describe()}");
        }
    }

    /// <summary>The counters that together classify every datagram the stage's sockets delivered.</summary>
    private sealed record Ledger(long Datagrams, long Classified, long HandshakesQueued, long HandshakesHandled, long HandshakeOutcomes, long LegitTransports)
    {
        /// <summary>Drop reasons of the send path, which do not classify received datagrams.</summary>
        private static readonly string[] s_sendReasons = ["wireguard.no_endpoint", "wireguard.no_room", "wireguard.too_large", "wireguard.no_socket"];

        public static Ledger Read(RouterHostNode node)
        {
            long datagrams = 0;
            foreach (var queue in node.Runner.Metrics.SnapshotQueues())
            {
                if (queue.Interface == "stage/wg")
                {
                    datagrams += queue.ReceivedPackets + queue.ReceiveDrops.Values.Sum();
                }
            }

            long readDrops = node.Runner.Metrics.SnapshotQueues().Where(q => q.Interface == "stage/wg").Sum(q => q.ReceiveDrops.Values.Sum());
            var stage = node.Runner.Metrics.SnapshotStages().Single(s => s.Name == "wg");
            long receiveDrops = stage.Dropped.Where(d => !s_sendReasons.Contains(d.Key)).Sum(d => d.Value);
            WireGuardCounters c = node.Tunnel.Sum();
            long classified = readDrops + receiveDrops + c.TransportsAccepted + c.HandshakesQueued;
            long outcomes = c.HandshakesAccepted.Sum() + c.HandshakeDrops.Sum() + node.Tunnel.Handshakes.Count;
            return new Ledger(datagrams, classified, c.HandshakesQueued, c.HandshakeMessagesHandled + node.Tunnel.Handshakes.Count, outcomes, c.RxPackets[0]);
        }

        public static Dictionary<string, long> Drops(RouterHostNode node)
        {
            var drops = new Dictionary<string, long>(node.Runner.Metrics.SnapshotStages().Single(s => s.Name == "wg").Dropped);
            foreach (var queue in node.Runner.Metrics.SnapshotQueues().Where(q => q.Interface == "stage/wg"))
            {
                foreach ((string reason, long count) in queue.ReceiveDrops)
                {
                    drops[reason] = drops.GetValueOrDefault(reason) + count;
                }
            }

            WireGuardCounters c = node.Tunnel.Sum();
            for (int id = 1; id < Abstractions.DropReason.Count; id++)
            {
                long n = c.Drops[id] + c.HandshakeDrops[id];
                if (n != 0)
                {
                    string name = Abstractions.DropReason.FromId(id).Name;
                    drops[name] = drops.GetValueOrDefault(name) + n;
                }
            }

            return drops;
        }
    }

    private static void WaitUntilIdle(WireGuardStage stage)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (stage.Handshakes.Count > 0 || stage.UnderLoad)
        {
            Assert.True(DateTime.UtcNow < deadline, "the handshake queue did not drain");
            Thread.Sleep(50);
        }

        Thread.Sleep(200);
    }

    private static long RcvbufErrors(NetworkNamespace ns)
    {
        string[] lines = ns.Exec("cat", "/proc/net/snmp").EnsureSuccess().StdOut.Split('\n');
        for (int i = 0; i + 1 < lines.Length; i++)
        {
            if (lines[i].StartsWith("Udp: ", StringComparison.Ordinal) && lines[i + 1].StartsWith("Udp: ", StringComparison.Ordinal))
            {
                string[] names = lines[i].Split(' ');
                string[] values = lines[i + 1].Split(' ');
                return long.Parse(values[Array.IndexOf(names, "RcvbufErrors")], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("no Udp line in /proc/net/snmp");
    }

    private static void WriteType(Span<byte> buffer, MessageType type) => BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)type);

    private static byte[] Decode(string key)
    {
        var bytes = new byte[32];
        Assert.True(WireGuardKey.TryParse(key, bytes, out _));
        return bytes;
    }

    /// <summary>Counts what the node sends back to the attacker, by message type, on a thread of its own.</summary>
    private sealed class ReplyCounter
    {
        private readonly long[] _counts = new long[5];
        private readonly System.Collections.Concurrent.ConcurrentQueue<byte[]> _responses = new();

        public ReplyCounter(Socket socket)
        {
            var thread = new Thread(() =>
            {
                var buffer = new byte[2048];
                try
                {
                    while (true)
                    {
                        int n = socket.Receive(buffer);
                        MessageType type = MessageLayout.TypeOf(buffer.AsSpan(0, n));
                        Interlocked.Increment(ref _counts[(int)type]);
                        if (type == MessageType.Response)
                        {
                            _responses.Enqueue(buffer[..n]);
                        }
                    }
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                }
            })
            { IsBackground = true };
            thread.Start();
        }

        public long Count(MessageType type) => Interlocked.Read(ref _counts[(int)type]);

        public byte[] WaitFor(MessageType type, TimeSpan timeout)
        {
            DateTime deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                if (type == MessageType.Response && _responses.TryDequeue(out byte[]? response))
                {
                    return response;
                }

                Thread.Sleep(10);
            }

            throw new Xunit.Sdk.XunitException($"no {type} arrived");
        }
    }
}
