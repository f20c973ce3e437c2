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
/// The send path with a real session over a real loopback socket: a sparse flow's packet read in the same batch as a
/// bulk flow's is sealed and on the wire first, and the bulk flow arrives whole and in order behind it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SparseFirstSendTests : IDisposable
{
    private const int Headroom = 64;
    private const int Tailroom = 64;

    private readonly LocalIdentity _remote = new(KeyAgreementAlgorithm.X25519.GenerateKey());
    private readonly Socket _sink = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly WireGuardStage _stage;
    private readonly Keypair _remoteSession;

    public SparseFirstSendTests()
    {
        _sink.ReceiveBufferSize = 4 << 20;
        _sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _stage = LoopbackStage.Create(WireGuardKey.Format(_remote.PublicKey), ((IPEndPoint)_sink.LocalEndPoint!).Port, ["10.5.0.0/16"], batchSize: 64);
        (_, _remoteSession) = LoopbackStage.Establish(_stage, _stage.Peers[0], _remote);
    }

    [Fact]
    public void A_ping_behind_a_bulk_flows_packets_in_one_batch_leaves_first_and_the_bulk_flow_arrives_whole_and_in_order()
    {
        using var worker = (WireGuardWorker)_stage.CreateWorker(0);
        var batch = new PacketBatch(64) { Direction = PacketDirection.Outbound };
        const int before = 40, after = 8;
        for (int i = 0; i < before; i++)
        {
            AddTcp(batch, sequence: i);
        }

        Add(batch, SparseFlowOrderTests.V4(1, 2, 9, 0, 0, 84)); // the ping: ICMP, another flow
        for (int i = before; i < before + after; i++)
        {
            AddTcp(batch, sequence: i);
        }

        worker.Process(batch);
        worker.EndBatch();

        List<byte[]> inner = ReceiveAll(before + after + 1);
        Assert.Equal(before + after + 1, inner.Count);
        Assert.Equal(1, inner[0][9]); // ICMP first on the wire
        int[] sequences = [.. inner.Skip(1).Select(p => (int)BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(24)))];
        Assert.Equal(Enumerable.Range(0, before + after), sequences);
        Assert.Equal(1, worker.Counters.SparseFlushes);
        Assert.All(batch.AsSpan().ToArray(), p => Assert.Equal(PacketVerdict.Consumed, p.Verdict));
    }

    [Fact]
    public void A_batch_of_one_bulk_flow_is_sent_in_batch_order_with_the_one_flush_at_the_end_of_the_batch()
    {
        using var worker = (WireGuardWorker)_stage.CreateWorker(0);
        var batch = new PacketBatch(64) { Direction = PacketDirection.Outbound };
        for (int i = 0; i < 20; i++)
        {
            AddTcp(batch, sequence: i);
        }

        worker.Process(batch);
        Assert.Equal(0, worker.Counters.UdpDatagramsSent); // nothing leaves before the end of the batch
        worker.EndBatch();

        List<byte[]> inner = ReceiveAll(20);
        Assert.Equal(Enumerable.Range(0, 20), inner.Select(p => (int)BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(24))));
        Assert.Equal(0, worker.Counters.SparseFlushes);
    }

    public void Dispose()
    {
        _stage.Dispose();
        _remoteSession.Dispose();
        _remote.Dispose();
        _sink.Dispose();
    }

    /// <summary>A 1400-byte TCP segment of the bulk flow with <paramref name="sequence"/> as its sequence number.</summary>
    private void AddTcp(PacketBatch batch, int sequence)
    {
        byte[] ip = SparseFlowOrderTests.V4(6, 2, 9, 40000, 5201, 1400);
        BinaryPrimitives.WriteUInt32BigEndian(ip.AsSpan(24), (uint)sequence);
        Add(batch, ip);
    }

    private void Add(PacketBatch batch, byte[] ip)
    {
        var buffer = GC.AllocateArray<byte>(Headroom + ip.Length + Tailroom, pinned: true);
        ip.CopyTo(buffer, Headroom);
        ref Packet p = ref batch.Append(buffer, Headroom, ip.Length);
        p.Egress = _stage.Peers[0].Port;
    }

    /// <summary>The inner packets of the first <paramref name="count"/> datagrams the sink received, in arrival order.</summary>
    private List<byte[]> ReceiveAll(int count)
    {
        var inner = new List<byte[]>();
        var buffer = new byte[2048];
        _sink.ReceiveTimeout = 5000;
        while (inner.Count < count)
        {
            int n;
            try
            {
                n = _sink.Receive(buffer);
            }
            catch (SocketException)
            {
                break;
            }

            byte[] message = buffer[..n];
            ulong counter = BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(MessageLayout.TransportCounterOffset));
            byte[] body = message[MessageLayout.TransportHeaderSize..];
            Assert.True(AeadAlgorithm.ChaCha20Poly1305.Open(_remoteSession.ReceiveKey, counter, body, default));
            Assert.True(_remoteSession.Replay.TryAccept(counter));
            inner.Add(body[..BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(2))]);
        }

        return inner;
    }
}
