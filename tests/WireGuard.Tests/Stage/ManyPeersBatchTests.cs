using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using RouterHost.Abstractions;
using RouterHost.Crypto;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Protocol;
using RouterHost.WireGuard.Stage;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.WireGuard.Tests.Stage;

/// <summary>
/// One lane's batch carrying the packets of many peers at once, as a hub's lanes do: every peer's packets reach that
/// peer (its own endpoint, its own session), each peer's in its order, with its send counters in order; inbound, every
/// peer's messages are accepted and handed on as that peer's, in their order. More peers than the sender keeps counter
/// reservations for (four), so reservations are evicted and taken again mid-batch.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ManyPeersBatchTests : IDisposable
{
    private const int PeerCount = 7;
    private const int PerPeer = 18;
    private const int Slot = 512;
    private const int Headroom = 64;
    private const int Size = 100;

    private readonly List<LocalIdentity> _remotes = [];
    private readonly List<Socket> _sinks = [];
    private readonly WireGuardStage _stage;
    private readonly WireGuardPeer[] _peers = new WireGuardPeer[PeerCount];
    private readonly Keypair[] _remoteSessions = new Keypair[PeerCount];
    private readonly WireGuardWorker _worker;

    public ManyPeersBatchTests()
    {
        var configured = new List<LoopbackPeer>();
        for (int i = 0; i < PeerCount; i++)
        {
            var remote = new LocalIdentity(KeyAgreementAlgorithm.X25519.GenerateKey());
            _remotes.Add(remote);
            var sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
            sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _sinks.Add(sink);
            configured.Add(new LoopbackPeer($"m{i}", WireGuardKey.Format(remote.PublicKey), ((IPEndPoint)sink.LocalEndPoint!).Port, [$"10.7.{i}.0/24"]));
        }

        _stage = LoopbackStage.Create(configured);
        for (int i = 0; i < PeerCount; i++)
        {
            string name = configured[i].Name;
            _peers[i] = _stage.Peers.Single(p => p.Name == name);
            (_, _remoteSessions[i]) = LoopbackStage.Establish(_stage, _peers[i], _remotes[i]);
        }

        _worker = (WireGuardWorker)_stage.CreateWorker(0);
    }

    /// <summary>Packet k of the batch goes to this peer: first strictly interleaved, then in runs of three.</summary>
    private static int PeerOf(int k) => k < PeerCount * PerPeer / 2 ? k % PeerCount : (k / 3) % PeerCount;

    [Fact]
    public void An_outbound_batch_of_many_peers_reaches_every_peer_in_its_order_with_its_counters_in_order()
    {
        const int total = PeerCount * PerPeer;
        var buffer = GC.AllocateArray<byte>(total * Slot, pinned: true);
        var batch = new PacketBatch(total) { Direction = PacketDirection.Outbound };
        var expected = new List<int>[PeerCount];
        for (int i = 0; i < PeerCount; i++)
        {
            expected[i] = [];
        }

        for (int k = 0; k < total; k++)
        {
            int peer = PeerOf(k);
            Span<byte> packet = buffer.AsSpan((k * Slot) + Headroom, Size);
            WriteInner(packet, k);
            ref Packet p = ref batch.Append(buffer.AsMemory(k * Slot, Slot), Headroom, Size);
            p.Egress = _peers[peer].Port;
            expected[peer].Add(k);
        }

        _worker.Process(batch);
        _worker.EndBatch();

        foreach (ref Packet p in batch.AsSpan())
        {
            Assert.Equal(PacketVerdict.Consumed, p.Verdict);
        }

        var datagram = new byte[2048];
        for (int i = 0; i < PeerCount; i++)
        {
            var sequence = new List<int>();
            ulong? last = null;
            for (int n = 0; n < expected[i].Count; n++)
            {
                int length = _sinks[i].Receive(datagram);
                Span<byte> message = datagram.AsSpan(0, length);
                Assert.Equal(MessageType.Transport, MessageLayout.TypeOf(message));
                Assert.Equal(_remoteSessions[i].LocalIndex, BinaryPrimitives.ReadUInt32LittleEndian(message[MessageLayout.TransportReceiverOffset..]));
                ulong counter = BinaryPrimitives.ReadUInt64LittleEndian(message[MessageLayout.TransportCounterOffset..]);
                Assert.True(last is null || counter > last, $"peer {i}: counter {counter} after {last}");
                last = counter;
                Assert.True(AeadAlgorithm.ChaCha20Poly1305.Open(_remoteSessions[i].ReceiveKey, counter, message[MessageLayout.TransportHeaderSize..], default), $"peer {i}: message {n} does not open with its session");
                sequence.Add(BinaryPrimitives.ReadInt32BigEndian(message[(MessageLayout.TransportHeaderSize + 20)..]));
            }

            Assert.Equal(expected[i], sequence);
            Assert.Equal(0, _sinks[i].Available);
        }

        Assert.Equal(total, _worker.Counters.UdpDatagramsSent);
    }

    [Fact]
    public void An_inbound_batch_of_many_peers_is_accepted_and_each_packet_handed_on_as_its_peers_in_order()
    {
        const int total = PeerCount * PerPeer;
        var buffer = GC.AllocateArray<byte>(total * Slot, pinned: true);
        var batch = new PacketBatch(total) { Direction = PacketDirection.Inbound };
        for (int k = 0; k < total; k++)
        {
            Span<byte> message = buffer.AsSpan((k * Slot) + Headroom, Slot - Headroom);
            WriteInner(message.Slice(MessageLayout.TransportHeaderSize, Size), k);
            int length = Seal(_remoteSessions[PeerOf(k)], message, Size);
            ref Packet p = ref batch.Append(buffer.AsMemory(k * Slot, Slot), Headroom, length);
            p.SourceSlot = (ushort)(k % 64);
        }

        long acceptedBefore = _worker.Counters.TransportsAccepted;
        _worker.Process(batch);
        _worker.EndBatch();

        int k2 = 0;
        foreach (ref Packet p in batch.AsSpan())
        {
            Assert.Equal(PacketVerdict.Forward, p.Verdict);
            Assert.Equal(_peers[PeerOf(k2)].Port, p.Ingress);
            Assert.Equal(Size, p.Length);
            Assert.Equal(k2, BinaryPrimitives.ReadInt32BigEndian(p.Data[20..]));
            k2++;
        }

        Assert.Equal(total, _worker.Counters.TransportsAccepted - acceptedBefore);
    }

    public void Dispose()
    {
        _worker.Dispose();
        _stage.Dispose();
        foreach (Keypair session in _remoteSessions)
        {
            session?.Dispose();
        }

        foreach (LocalIdentity remote in _remotes)
        {
            remote.Dispose();
        }

        foreach (Socket sink in _sinks)
        {
            sink.Dispose();
        }
    }

    /// <summary>An IPv4/UDP packet of <see cref="Size"/> bytes whose payload starts with <paramref name="sequence"/>.</summary>
    private static void WriteInner(Span<byte> packet, int sequence)
    {
        packet.Clear();
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], Size);
        packet[9] = 17;
        BinaryPrimitives.WriteInt32BigEndian(packet[20..], sequence);
    }

    /// <summary>Seals the IP packet at <paramref name="message"/>[16..] on the remote's session; the message's length.</summary>
    private static int Seal(Keypair remoteSession, Span<byte> message, int length)
    {
        int padding = MessageLayout.PaddingFor(length, 1420);
        message.Slice(MessageLayout.TransportHeaderSize + length, padding).Clear();
        Assert.True(remoteSession.TryReserveCounter(out ulong counter));
        MessageLayout.WriteTransportHeader(message, remoteSession.RemoteIndex, counter);
        int total = MessageLayout.TransportHeaderSize + length + padding + MessageLayout.TagSize;
        AeadAlgorithm.ChaCha20Poly1305.Seal(remoteSession.SendKey, counter, message[MessageLayout.TransportHeaderSize..total], default);
        return total;
    }
}
