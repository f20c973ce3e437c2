using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;
using RouterHost.Packets;
using RouterHost.WireGuard.Stage;

namespace RouterHost.WireGuard.Tests.Stage;

/// <summary>
/// The outbound batch's sparse-flows-first order: a flow with at most a quantum of bytes in the batch goes before the
/// bulk flows, nothing is lost or duplicated, and no flow is reordered within itself.
/// </summary>
public sealed class SparseFlowOrderTests
{
    private const byte Tcp = 6;
    private const byte Udp = 17;
    private const byte Icmp = 1;

    [Fact]
    public void A_ping_read_after_a_bulk_flows_superpackets_goes_first_and_the_bulk_flow_keeps_its_order()
    {
        var batch = new PacketBatch(8);
        for (int i = 0; i < 5; i++)
        {
            Add(batch, V4(Tcp, 1, 2, 40000, 5201, 64000));
        }

        Add(batch, V4(Icmp, 1, 2, 0, 0, 84));
        Add(batch, V4(Tcp, 1, 2, 40000, 5201, 1400));

        var order = new SparseFlowOrder(8);
        int sparse = order.Order(batch.AsSpan());

        Assert.Equal(1, sparse);
        Assert.Equal([5, 0, 1, 2, 3, 4, 6], order.Positions[..7].ToArray());
    }

    [Fact]
    public void A_batch_of_one_bulk_flow_or_of_sparse_flows_only_keeps_its_order()
    {
        var order = new SparseFlowOrder(8);
        var bulk = new PacketBatch(8);
        for (int i = 0; i < 4; i++)
        {
            Add(bulk, V4(Tcp, 1, 2, 40000, 5201, 1400));
        }

        var sparse = new PacketBatch(8);
        for (int i = 0; i < 4; i++)
        {
            Add(sparse, V4(Udp, 1, 2, (ushort)(1000 + i), 53, 80));
        }

        Assert.Equal(0, order.Order(bulk.AsSpan()));
        Assert.Equal(0, order.Order(sparse.AsSpan()));
    }

    [Fact]
    public void A_flow_is_sparse_until_its_bytes_in_the_batch_pass_the_quantum()
    {
        var order = new SparseFlowOrder(8, quantumBytes: 200);
        var batch = new PacketBatch(8);
        Add(batch, V4(Tcp, 1, 2, 1, 1, 1000));
        Add(batch, V4(Udp, 3, 4, 5, 6, 100));
        Add(batch, V4(Udp, 3, 4, 5, 6, 100)); // 200 bytes: still sparse
        Add(batch, V4(Udp, 7, 8, 5, 6, 150));
        Add(batch, V4(Udp, 7, 8, 5, 6, 51)); // 201 bytes: bulk

        int sparse = order.Order(batch.AsSpan());

        Assert.Equal(2, sparse);
        Assert.Equal([1, 2, 0, 3, 4], order.Positions[..5].ToArray());
    }

    [Fact]
    public void A_batch_larger_than_the_capacity_keeps_its_order()
    {
        var batch = new PacketBatch(4);
        Add(batch, V4(Tcp, 1, 2, 1, 1, 9000));
        Add(batch, V4(Icmp, 1, 2, 0, 0, 84));
        Assert.Equal(0, new SparseFlowOrder(1).Order(batch.AsSpan()));
        Assert.Equal(1, new SparseFlowOrder(2).Order(batch.AsSpan()));
    }

    [Fact]
    public void The_fragments_of_one_datagram_count_as_one_flow_whether_or_not_they_carry_the_ports()
    {
        // 1 396 + 200 bytes of one UDP datagram: past the quantum together, so neither goes ahead of the bulk flow. A hash
        // that took the first fragment's ports would put the two in different buckets, each sparse on its own.
        byte[] first = V4(Udp, 1, 2, 4000, 53, 1396, moreFragments: true);
        byte[] later = V4(Udp, 1, 2, 0, 0, 200, fragmentOffset: 1376);
        var batch = new PacketBatch(8);
        Add(batch, V4(Tcp, 1, 2, 40000, 5201, 64000));
        Add(batch, first);
        Add(batch, later);
        Add(batch, V4(Icmp, 1, 2, 0, 0, 84));

        var order = new SparseFlowOrder(8);
        Assert.Equal(1, order.Order(batch.AsSpan()));
        Assert.Equal([3, 0, 1, 2], order.Positions[..4].ToArray());
    }

    [Fact]
    public void A_packet_keeps_the_flow_hash_a_stage_gave_it_and_unparseable_packets_share_one_flow()
    {
        var order = new SparseFlowOrder(8);
        var batch = new PacketBatch(8);
        Add(batch, V4(Tcp, 1, 2, 40000, 5201, 9000));
        Add(batch, V4(Udp, 1, 2, 4000, 53, 80)).FlowHash = FlowHash.Compute(V4(Tcp, 1, 2, 40000, 5201, 60)); // the bulk flow's
        Assert.Equal(0, order.Order(batch.AsSpan()));

        // Three packets that do not parse (a bad header checksum): one flow of 3 × 600 bytes, bulk; the ping goes first.
        batch.Clear();
        for (int i = 0; i < 3; i++)
        {
            byte[] bad = V4(Udp, 1, 2, (ushort)(100 + i), 53, 600);
            bad[10] ^= 0xff;
            Add(batch, bad);
        }

        Add(batch, V4(Icmp, 1, 2, 0, 0, 84));
        Assert.Equal(1, order.Order(batch.AsSpan()));
        Assert.Equal([3, 0, 1, 2], order.Positions[..4].ToArray());
    }

    [Fact]
    public void Any_batch_is_ordered_as_a_permutation_sparse_flows_first_each_part_and_each_flow_in_batch_order()
    {
        Gen<(int Flow, int Length)> packet = Gen.Choose(0, 5).SelectMany(flow =>
            Gen.Frequency((6, Gen.Choose(60, 1500)), (1, Gen.Choose(1500, 60000))).Select(length => (flow, length)));
        Gen<(int Flow, int Length)[]> batches = Gen.Choose(0, 64).SelectMany(n => Gen.ArrayOf(packet, n));
        var order = new SparseFlowOrder(64);
        Prop.ForAll(batches.ToArbitrary(), items =>
        {
            var batch = new PacketBatch(64);
            foreach ((int flow, int length) in items)
            {
                Add(batch, FlowPacket(flow, length));
            }

            int sparse = order.Order(batch.AsSpan());
            int[] positions = sparse > 0 ? order.Positions[..items.Length].ToArray() : [.. Enumerable.Range(0, items.Length)];
            var flowBytes = new Dictionary<int, long>();
            foreach ((int flow, int length) in items)
            {
                flowBytes[flow] = flowBytes.GetValueOrDefault(flow) + length;
            }

            bool permutation = positions.Order().SequenceEqual(Enumerable.Range(0, items.Length));
            bool partsInOrder = IsIncreasing(positions[..sparse]) && IsIncreasing(positions[sparse..]);
            // A sparse packet's flow has at most a quantum in the batch (its bucket may hold more flows, never fewer
            // bytes); a flow past the quantum is never in front.
            bool sparseAreSparse = positions[..sparse].All(i => flowBytes[items[i].Flow] <= order.QuantumBytes);
            bool flowsInOrder = items.Select(x => x.Flow).Distinct().All(flow =>
                IsIncreasing([.. positions.Where(i => items[i].Flow == flow)]));
            // Nothing jumps ahead unless a bulk flow is there to jump.
            bool reorderedOnlyWithBoth = sparse == 0 || (sparse < items.Length && flowBytes.Values.Any(b => b > order.QuantumBytes));
            return permutation && partsInOrder && sparseAreSparse && flowsInOrder && reorderedOnlyWithBoth;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Random_bytes_as_packets_never_throw_and_are_ordered_as_a_permutation()
    {
        Gen<byte[]> bytes = Gen.Choose(0, 80).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n));
        var order = new SparseFlowOrder(16, quantumBytes: 40);
        Prop.ForAll(Gen.ArrayOf(bytes).Select(a => a.Take(16).ToArray()).ToArbitrary(), packets =>
        {
            var batch = new PacketBatch(16);
            foreach (byte[] p in packets)
            {
                Add(batch, p);
            }

            int sparse = order.Order(batch.AsSpan());
            int[] positions = sparse > 0 ? order.Positions[..packets.Length].ToArray() : [.. Enumerable.Range(0, packets.Length)];
            return sparse >= 0 && sparse < Math.Max(packets.Length, 1) && positions.Order().SequenceEqual(Enumerable.Range(0, packets.Length));
        }).QuickCheckThrowOnFailure();
    }

    private static bool IsIncreasing(int[] values)
    {
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] <= values[i - 1])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Flow 0 is ICMP, 1 and 2 UDP, the rest TCP, each with its own addresses or ports; IPv6 for odd flows.</summary>
    private static byte[] FlowPacket(int flow, int length)
    {
        byte protocol = flow == 0 ? Icmp : flow < 3 ? Udp : Tcp;
        byte[] packet = flow % 2 == 1
            ? V6(protocol, (byte)flow, 9, (ushort)(1000 + flow), 443, length)
            : V4(protocol, 1, 2, (ushort)(1000 + flow), 443, length);
        Assert.True(PacketParser.Parse(packet, out _).IsNone, "the flows' packets parse, so each has its own hash");
        return packet;
    }

    private static ref Packet Add(PacketBatch batch, byte[] ip) => ref batch.Append(ip, 0, ip.Length);

    /// <summary>
    /// An IPv4 packet of <paramref name="length"/> bytes that <see cref="PacketParser"/> accepts (header checksum, TCP data
    /// offset, UDP length, ICMP echo); a fragment when <paramref name="moreFragments"/> or <paramref name="fragmentOffset"/>
    /// say so (a later fragment carries no transport header).
    /// </summary>
    internal static byte[] V4(byte protocol, byte source, byte destination, ushort sourcePort, ushort destinationPort, int length, bool moreFragments = false, int fragmentOffset = 0)
    {
        var ip = new byte[length];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)Math.Min(length, 65535));
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(6), (ushort)((moreFragments ? 0x2000 : 0) | (fragmentOffset / 8)));
        ip[8] = 64;
        ip[9] = protocol;
        ip[12] = 10;
        ip[15] = source;
        ip[16] = 10;
        ip[19] = destination;
        if (fragmentOffset == 0)
        {
            Transport(ip.AsSpan(20), protocol, sourcePort, destinationPort, moreFragments);
        }

        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(10), InternetChecksum.Compute(ip.AsSpan(0, 20)));
        return ip;
    }

    private static byte[] V6(byte protocol, byte source, byte destination, ushort sourcePort, ushort destinationPort, int length)
    {
        var ip = new byte[length];
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), (ushort)(length - 40));
        ip[6] = protocol == Icmp ? (byte)58 : protocol;
        ip[7] = 64;
        ip[8] = 0xfd;
        ip[23] = source;
        ip[24] = 0xfd;
        ip[39] = destination;
        Transport(ip.AsSpan(40), protocol, sourcePort, destinationPort, moreFragments: false);
        return ip;
    }

    private static void Transport(Span<byte> l4, byte protocol, ushort sourcePort, ushort destinationPort, bool moreFragments)
    {
        switch (protocol)
        {
            case Tcp:
                BinaryPrimitives.WriteUInt16BigEndian(l4, sourcePort);
                BinaryPrimitives.WriteUInt16BigEndian(l4[2..], destinationPort);
                l4[12] = 0x50; // data offset: 20 bytes
                l4[13] = 0x10; // ACK
                break;
            case Udp:
                BinaryPrimitives.WriteUInt16BigEndian(l4, sourcePort);
                BinaryPrimitives.WriteUInt16BigEndian(l4[2..], destinationPort);
                // A first fragment's UDP length is the whole datagram's, longer than the fragment.
                BinaryPrimitives.WriteUInt16BigEndian(l4[4..], (ushort)(moreFragments ? 65000 : Math.Min(l4.Length, 65535)));
                break;
            default:
                l4[0] = protocol == Icmp ? (byte)8 : (byte)128; // an echo request
                break;
        }
    }
}
