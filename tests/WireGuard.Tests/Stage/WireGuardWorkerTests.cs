using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;
using RouterHost.Pipeline;
using RouterHost.WireGuard.Protocol;
using RouterHost.WireGuard.Stage;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.WireGuard.Tests.Stage;

/// <summary>The stage's receive path on crafted batches: every datagram is decided, with a reason, and nothing throws.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class WireGuardWorkerTests : IDisposable
{
    private readonly KeyPair _keys = new();
    private readonly KeyPair _peer = new();
    private readonly WireGuardStage _stage;
    private readonly WireGuardWorker _worker;

    public WireGuardWorkerTests()
    {
        _stage = StageSettings.Create(StageSettings.Section(_keys, [], ("p", _peer.PublicKey, "10.5.0.0/16", null)));
        _worker = (WireGuardWorker)_stage.CreateWorker(0);
    }

    [Fact]
    public void Random_datagrams_are_each_dropped_with_a_reason_or_queued_as_handshakes_and_never_throw()
    {
        Gen<byte[]> datagram = Gen.OneOf(
            Gen.Choose(0, 300).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n)),
            Gen.Elements(1, 2, 3, 4).SelectMany(t => Gen.Choose(4, 200).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n)).Select(b =>
            {
                BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)t);
                return b;
            })),
            Gen.Elements(MessageLayout.InitiationSize, MessageLayout.ResponseSize, MessageLayout.CookieReplySize).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n)).Select(b =>
            {
                BinaryPrimitives.WriteUInt32LittleEndian(b, b.Length == 148 ? 1u : b.Length == 92 ? 2u : 3u);
                return b;
            }));
        var buffer = GC.AllocateArray<byte>(64 * 512, pinned: true);
        Prop.ForAll(Gen.ListOf(datagram).Select(l => l.Take(64).ToArray()).ToArbitrary(), datagrams =>
        {
            var batch = new PacketBatch(64) { Direction = PacketDirection.Inbound };
            for (int i = 0; i < datagrams.Length; i++)
            {
                datagrams[i].CopyTo(buffer.AsSpan((i * 512) + 64));
                ref Packet p = ref batch.Append(buffer.AsMemory(i * 512, 512), 64, datagrams[i].Length);
                p.SourceSlot = (ushort)i;
            }

            long queuedBefore = _worker.Counters.HandshakesQueued;
            _worker.Process(batch);
            int consumed = 0;
            foreach (ref Packet p in batch.AsSpan())
            {
                if (p.Verdict == PacketVerdict.Consumed)
                {
                    consumed++;
                }
                else if (p.Verdict != PacketVerdict.Dropped || !p.DropReason.Name.StartsWith("wireguard.", StringComparison.Ordinal))
                {
                    return false;
                }
            }

            DrainHandshakes();
            return consumed == _worker.Counters.HandshakesQueued - queuedBefore;
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData(new byte[] { }, "wireguard.not_wireguard")]
    [InlineData(new byte[] { 4, 0, 0, 0, 1, 2, 3, 4 }, "wireguard.bad_size")]
    [InlineData(new byte[] { 1, 0, 0, 0 }, "wireguard.bad_size")]
    [InlineData(new byte[] { 9, 0, 0, 0, 0, 0 }, "wireguard.not_wireguard")]
    [InlineData(new byte[] { 1, 0, 1, 0 }, "wireguard.not_wireguard")]
    public void Malformed_datagrams_are_dropped_with_their_reason(byte[] datagram, string reason)
    {
        var buffer = GC.AllocateArray<byte>(512, pinned: true);
        datagram.CopyTo(buffer, 64);
        var batch = new PacketBatch(4) { Direction = PacketDirection.Inbound };
        batch.Append(buffer, 64, datagram.Length);
        _worker.Process(batch);
        Assert.Equal(PacketVerdict.Dropped, batch[0].Verdict);
        Assert.Equal(reason, batch[0].DropReason.Name);
    }

    [Fact]
    public void A_transport_message_for_an_unknown_index_or_with_a_bad_tag_is_dropped_and_never_decrypted_into_a_packet()
    {
        var buffer = GC.AllocateArray<byte>(512, pinned: true);
        var batch = new PacketBatch(4) { Direction = PacketDirection.Inbound };
        MessageLayout.WriteTransportHeader(buffer.AsSpan(64), 0x12345678, 0);
        batch.Append(buffer, 64, 100);
        _worker.Process(batch);
        Assert.Equal("wireguard.unknown_receiver", batch[0].DropReason.Name);
    }

    [Fact]
    public void Packets_routed_to_a_peer_without_an_endpoint_are_dropped_saying_so_and_others_pass_untouched()
    {
        var buffer = GC.AllocateArray<byte>(512, pinned: true);
        var batch = new PacketBatch(4) { Direction = PacketDirection.Outbound };
        ref Packet toPeer = ref batch.Append(buffer, 64, 60);
        toPeer.Egress = _stage.Peers[0].Port;
        ref Packet elsewhere = ref batch.Append(buffer, 64, 60);
        elsewhere.Egress = PortId.Interface(0);
        _worker.Process(batch);
        Assert.Equal("wireguard.no_endpoint", batch[0].DropReason.Name);
        Assert.Equal(PacketVerdict.Forward, batch[1].Verdict);
    }

    public void Dispose()
    {
        _worker.Dispose();
        _stage.Dispose();
        _keys.Dispose();
        _peer.Dispose();
    }

    private void DrainHandshakes()
    {
        var message = new byte[148];
        while (_stage.Handshakes.TryDequeue(message, out _, out _, out _, out _, out _))
        {
        }
    }
}
