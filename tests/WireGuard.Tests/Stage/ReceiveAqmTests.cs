using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;
using RouterHost.WireGuard.Stage;

namespace RouterHost.WireGuard.Tests.Stage;

/// <summary>The receive path's AQM: who is signalled, how ECN marking rewrites a header, and that nothing else changes.</summary>
public sealed class ReceiveAqmTests
{
    private static readonly ReceiveAqmSettings Settings = new(true, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(20));
    private const long Ms = 1_000_000;

    [Fact]
    public void A_standing_queue_drops_bulk_packets_but_never_a_sparse_flows_small_ones()
    {
        var aqm = new ReceiveAqm(Settings);
        int bulkDropped = 0, smallDropped = 0;
        for (long now = 0; now < 500 * Ms; now += Ms / 10)
        {
            Packet bulk = PacketOf(Ipv4(1400, ecn: 0));
            if (aqm.Apply(ref bulk, 0, 5 * Ms, now))
            {
                Assert.False(bulk.IsForwarded);
                bulkDropped++;
            }

            Packet ping = PacketOf(Ipv4(84, ecn: 0));
            Assert.False(aqm.Apply(ref ping, 0, 5 * Ms, now));
            Assert.True(ping.IsForwarded);
            smallDropped += ping.IsForwarded ? 0 : 1;
        }

        Assert.True(bulkDropped > 10, $"{bulkDropped} bulk packets dropped");
        Assert.Equal(0, smallDropped);
        Assert.Equal(bulkDropped, aqm.Dropped);
        Assert.Equal(0, aqm.Marked);
    }

    [Fact]
    public void A_short_sojourn_is_never_signalled()
    {
        var aqm = new ReceiveAqm(Settings);
        for (long now = 0; now < 500 * Ms; now += Ms / 10)
        {
            Packet bulk = PacketOf(Ipv4(1400, ecn: 0));
            Assert.False(aqm.Apply(ref bulk, 0, Ms / 2, now));
        }
    }

    [Fact]
    public void Each_source_queue_has_its_own_controller()
    {
        var aqm = new ReceiveAqm(Settings);
        bool signalled = false;
        for (long now = 0; now < 100 * Ms; now += Ms / 10)
        {
            Packet slow = PacketOf(Ipv4(1400, ecn: 0));
            signalled |= aqm.Apply(ref slow, 1, 5 * Ms, now);
            Packet fast = PacketOf(Ipv4(1400, ecn: 0));
            Assert.False(aqm.Apply(ref fast, 0, 0, now));
        }

        Assert.True(signalled);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void An_ECN_capable_IPv4_packet_is_marked_CE_with_a_correct_checksum_instead_of_dropped(int ecn)
    {
        var aqm = new ReceiveAqm(Settings);
        int marked = 0;
        for (long now = 0; now < 200 * Ms; now += Ms / 10)
        {
            byte[] bytes = Ipv4(1400, ecn);
            Packet p = PacketOf(bytes);
            if (aqm.Apply(ref p, 0, 5 * Ms, now))
            {
                marked++;
                Assert.True(p.IsForwarded);
                Assert.Equal(3, bytes[1] & 3);
                Assert.Equal(0x28, bytes[1] & ~3);
                Assert.Equal(0, Checksum(bytes.AsSpan(0, 20)));
            }
        }

        Assert.True(marked > 5);
        Assert.Equal(marked, aqm.Marked);
        Assert.Equal(0, aqm.Dropped);
    }

    [Fact]
    public void An_ECN_capable_IPv6_packet_is_marked_CE_in_its_traffic_class()
    {
        byte[] packet = new byte[1400];
        packet[0] = 0x6a; // version 6, traffic class high nibble 0xa
        packet[1] = 0x1f; // traffic class low nibble 0x1 (ECT(1)), flow label bits 0xf
        Assert.True(ReceiveAqm.TryMarkCongestion(packet));
        Assert.Equal(0x6a, packet[0]);
        Assert.Equal(0x3f, packet[1]);

        packet[1] = 0x0f; // Not-ECT
        Assert.False(ReceiveAqm.TryMarkCongestion(packet));
        Assert.Equal(0x0f, packet[1]);
    }

    [Fact]
    public void Not_IP_or_too_short_is_never_marked()
    {
        Assert.False(ReceiveAqm.TryMarkCongestion([]));
        Assert.False(ReceiveAqm.TryMarkCongestion(new byte[19] { 0x45, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }));
        Assert.False(ReceiveAqm.TryMarkCongestion(new byte[39] { 0x60, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }));
    }

    [Fact]
    public void Any_IPv4_header_stays_valid_after_marking_and_changes_only_its_ECN_bits_and_checksum()
    {
        Gen<byte[]> headers = from tos in Gen.Choose(0, 255)
                              from id in Gen.Choose(0, 65535)
                              from ttl in Gen.Choose(0, 255)
                              from proto in Gen.Choose(0, 255)
                              from a in Gen.Choose(0, int.MaxValue)
                              from b in Gen.Choose(0, int.MaxValue)
                              select Header((byte)tos, (ushort)id, (byte)ttl, (byte)proto, a, b);
        Prop.ForAll(headers.ToArbitrary(), header =>
        {
            byte[] before = (byte[])header.Clone();
            bool ect = (header[1] & 3) != 0;
            bool marked = ReceiveAqm.TryMarkCongestion(header);
            bool othersKept = header.AsSpan(2, 8).SequenceEqual(before.AsSpan(2, 8)) && header.AsSpan(12).SequenceEqual(before.AsSpan(12))
                && header[0] == before[0] && (header[1] & ~3) == (before[1] & ~3);
            return marked == ect && othersKept && Checksum(header) == 0 && (!ect || (header[1] & 3) == 3) && (ect || header.SequenceEqual(before));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    [Fact]
    public void Any_sequence_of_packets_and_sojourns_loses_none_but_the_counted_drops_and_never_a_small_one()
    {
        // Property: the AQM never loses, duplicates or reorders anything silently: every packet is forwarded, or
        // dropped and counted; small packets always pass; bytes change only by an ECN mark.
        Gen<(int Length, int Ecn, long Sojourn, int Step)[]> sequences = Gen.ArrayOf(
            from length in Gen.Frequency((3, Gen.Choose(ReceiveAqm.BulkBytes, 1420)), (1, Gen.Choose(20, ReceiveAqm.BulkBytes - 1)))
            from ecn in Gen.Choose(0, 3)
            from sojourn in Gen.Choose(0, 10_000)
            from step in Gen.Choose(0, 5000)
            select (length, ecn, (long)sojourn * 1000, step * 1000));
        Prop.ForAll(sequences.ToArbitrary(), sequence =>
        {
            var aqm = new ReceiveAqm(Settings);
            long now = 0;
            int forwarded = 0, dropped = 0;
            foreach ((int length, int ecn, long sojourn, int step) in sequence)
            {
                now += step;
                byte[] bytes = Ipv4(length, ecn);
                byte[] before = (byte[])bytes.Clone();
                Packet p = PacketOf(bytes);
                aqm.Apply(ref p, 0, sojourn, now);
                if (p.IsForwarded)
                {
                    forwarded++;
                    bool same = bytes.AsSpan(2, 8).SequenceEqual(before.AsSpan(2, 8)) && bytes.AsSpan(12).SequenceEqual(before.AsSpan(12));
                    if (!same || Checksum(bytes.AsSpan(0, 20)) != 0)
                    {
                        return false;
                    }
                }
                else
                {
                    dropped++;
                    if (length < ReceiveAqm.BulkBytes || ecn != 0)
                    {
                        return false;
                    }
                }
            }

            return forwarded + dropped == sequence.Length && dropped == aqm.Dropped;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    private static Packet PacketOf(byte[] bytes) => new() { Buffer = bytes, Offset = 0, Length = bytes.Length };

    private static byte[] Ipv4(int length, int ecn)
    {
        byte[] packet = new byte[length];
        Header((byte)(0x28 | ecn), 0x1234, 64, 6, 0x0a000001, 0x0a000002).CopyTo(packet, 0);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)length);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), 0);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), (ushort)~Sum(packet.AsSpan(0, 20)));
        return packet;
    }

    private static byte[] Header(byte tos, ushort id, byte ttl, byte protocol, int source, int destination)
    {
        byte[] header = new byte[20];
        header[0] = 0x45;
        header[1] = tos;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), 20);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), id);
        header[8] = ttl;
        header[9] = protocol;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), source);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(16), destination);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), (ushort)~Sum(header));
        return header;
    }

    private static int Sum(ReadOnlySpan<byte> header)
    {
        uint sum = 0;
        for (int i = 0; i < header.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(header[i..]);
        }

        while (sum > 0xffff)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (int)sum;
    }

    /// <summary>The one's-complement checksum over a header with its checksum in place: 0 when the checksum is right.</summary>
    private static int Checksum(ReadOnlySpan<byte> header) => (ushort)~Sum(header);
}
