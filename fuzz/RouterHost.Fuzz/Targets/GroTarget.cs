using System.Buffers.Binary;
using System.Runtime.InteropServices;
using RouterHost.Abstractions;
using RouterHost.Packets;

namespace RouterHost.Fuzz.Targets;

/// <summary>
/// A burst of packets through <see cref="GroCoalescer"/> as the TUN write path sends decrypted packets, and what it
/// emits through <see cref="Segmenter"/> again. The input's first byte: bit 0 = coalesce UDP too, bits 1-4 = the
/// segment limit (1-8, or 64 when 0); then records (<see cref="FuzzInput"/>), one packet each, whose control byte's
/// bit 0 asks for its checksums to be completed first (only packets that verify may merge) and bit 1 marks it
/// NEEDS_CSUM. Invariants: every packet comes out exactly once, borrowed not copied (a packet passed through is the
/// packet; a superpacket's fragments are slices of the packets it merged, in their order); each flow keeps its order;
/// a superpacket segmented again gives back its packets: as many segments as it merged, each the original's payload,
/// sequence number, addresses and ports.
/// </summary>
internal sealed class GroTarget : IFuzzTarget
{
    public const string TargetName = "gro";

    private const int Capacity = 64;

    private readonly byte[][] _buffers = new byte[Capacity][];
    private readonly Packet[] _packets = new Packet[Capacity];
    private readonly GroCoalescer[] _coalescers = new GroCoalescer[32];
    private readonly RecordingSink _sink;
    private readonly Memory<byte>[] _segments = new Memory<byte>[Capacity];
    private readonly int[] _lengths = new int[Capacity];

    public GroTarget()
    {
        _sink = new RecordingSink(_buffers);
        for (int i = 0; i < Capacity; i++)
        {
            _buffers[i] = new byte[65536 + 64];
            _segments[i] = new byte[65536 + 64];
        }

        for (int limit = 0; limit < 16; limit++)
        {
            _coalescers[limit * 2] = new GroCoalescer(Capacity, coalesceUdp: false, maxSegments: MaxSegments(limit));
            _coalescers[(limit * 2) + 1] = new GroCoalescer(Capacity, coalesceUdp: true, maxSegments: MaxSegments(limit));
        }
    }

    public string Name => TargetName;

    public string Description => "GRO coalescing (src/Packets GroCoalescer) of packet bursts, and segmentation of what it emits";

    public void Run(ReadOnlySpan<byte> input)
    {
        FuzzInput.Split(input, out byte options, out ReadOnlySpan<byte> rest);
        GroCoalescer coalescer = _coalescers[options & 0x1F];
        var records = new FuzzInput(rest);
        int count = 0;
        while (count < Capacity && records.TryNext(out byte control, out ReadOnlySpan<byte> bytes))
        {
            byte[] buffer = _buffers[count];
            bytes.CopyTo(buffer.AsSpan(32));
            Span<byte> data = buffer.AsSpan(32, bytes.Length);
            if ((control & 1) != 0)
            {
                SeedPackets.FixChecksums(data);
            }

            var gso = default(GsoInfo);
            if ((control & 2) != 0 && PacketParser.Parse(data, out PacketLayout layout).IsNone && layout.HasTransportHeader)
            {
                gso.NeedsChecksum = true;
                gso.ChecksumStart = layout.TransportOffset;
                gso.ChecksumOffset = (ushort)(layout.Protocol == IpProtocol.Udp ? UdpHeader.ChecksumOffset : TcpHeader.ChecksumOffset);
            }

            _packets[count] = new Packet { Buffer = buffer, Offset = 32, Length = bytes.Length, Gso = gso };
            count++;
        }

        _sink.Reset(count);
        for (int i = 0; i < count; i++)
        {
            InvariantViolationException.Check(coalescer.TryAdd(_packets[i]), "the coalescer holds up to its capacity");
        }

        coalescer.Flush(_sink);
        InvariantViolationException.Check(coalescer.Count == 0, "a flush empties the coalescer");
        CheckEveryPacketOnce(count);
        CheckFlowOrder(count);
        foreach (RecordingSink.Output output in _sink.Outputs)
        {
            if (output.Packets.Count > 1)
            {
                CheckSuperpacket(output);
            }
        }
    }

    public IEnumerable<KeyValuePair<string, byte[]>> Seeds()
    {
        foreach (bool ipv6 in (bool[])[false, true])
        {
            string family = ipv6 ? "v6" : "v4";
            yield return new($"{family}-tcp-stream", Burst(0, [.. Enumerable.Range(0, 4).Select(i => SeedPackets.Tcp(ipv6, 100, sequence: (uint)(1000 + (i * 100)), id: (ushort)(7 + i)))]));
            yield return new($"{family}-tcp-short-last-psh", Burst(0, [
                SeedPackets.Tcp(ipv6, 100, sequence: 1000), SeedPackets.Tcp(ipv6, 100, sequence: 1100),
                SeedPackets.Tcp(ipv6, 40, sequence: 1200, flags: (byte)(TcpFlags.Ack | TcpFlags.Psh)), SeedPackets.Tcp(ipv6, 100, sequence: 1240)]));
            yield return new($"{family}-udp", Burst(1, [.. Enumerable.Range(0, 3).Select(i => SeedPackets.Udp(ipv6, 200, id: (ushort)(9 + i), seed: i))]));
            yield return new($"{family}-two-flows", Burst(1, [
                SeedPackets.Tcp(ipv6, 64, sequence: 1), SeedPackets.Udp(ipv6, 64), SeedPackets.Tcp(ipv6, 64, sequence: 65),
                SeedPackets.Udp(ipv6, 64, seed: 3), SeedPackets.Tcp(ipv6, 64, sequence: 500, destinationPort: 80)]));
        }

        yield return new("v4-no-df-ids", Burst(2, [.. Enumerable.Range(0, 3).Select(i =>
        {
            byte[] p = SeedPackets.Tcp(ipv6: false, 50, sequence: (uint)(50 * i), id: (ushort)(0xFFFF + i));
            p[6] = 0;
            SeedPackets.FixChecksums(p);
            return p;
        })]));
    }

    private static int MaxSegments(int limit) => limit == 0 ? 64 : (limit & 7) + 1;

    private static byte[] Burst(byte options, byte[][] packets) =>
        [options, .. FuzzInput.Records([.. packets.Select(p => ((byte)0, p))])];

    private void CheckEveryPacketOnce(int count)
    {
        Span<int> seen = stackalloc int[Capacity];
        foreach (RecordingSink.Output output in _sink.Outputs)
        {
            int previous = -1;
            foreach (int index in output.Packets)
            {
                seen[index]++;
                InvariantViolationException.Check(index > previous, "a superpacket's packets are in arrival order");
                previous = index;
            }
        }

        for (int i = 0; i < count; i++)
        {
            InvariantViolationException.Check(seen[i] == 1, "every packet is written exactly once");
        }
    }

    private void CheckFlowOrder(int count)
    {
        // Position of each packet in the output, then: two packets of one flow leave in the order they came.
        Span<int> position = stackalloc int[Capacity];
        int at = 0;
        foreach (RecordingSink.Output output in _sink.Outputs)
        {
            foreach (int index in output.Packets)
            {
                position[index] = at++;
            }
        }

        for (int i = 0; i < count; i++)
        {
            for (int j = i + 1; j < count; j++)
            {
                if (SameFlow(_packets[i].Data, _packets[j].Data))
                {
                    InvariantViolationException.Check(position[i] < position[j], "each flow's packets leave in the order they came");
                }
            }
        }
    }

    private static bool SameFlow(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (!PacketParser.Parse(a, out PacketLayout la).IsNone || !PacketParser.Parse(b, out PacketLayout lb).IsNone
            || !la.HasTransportHeader || !lb.HasTransportHeader // a later fragment's ports, and so its flow, are unknown
            || la.IsIPv6 != lb.IsIPv6 || la.Protocol != lb.Protocol || la.Protocol is not (IpProtocol.Tcp or IpProtocol.Udp))
        {
            return false;
        }

        int addresses = la.IsIPv6 ? 8 : 12;
        int addressLength = la.IsIPv6 ? 32 : 8;
        return a.Slice(addresses, addressLength).SequenceEqual(b.Slice(addresses, addressLength))
            && la.SourcePort == lb.SourcePort && la.DestinationPort == lb.DestinationPort;
    }

    private void CheckSuperpacket(RecordingSink.Output output)
    {
        byte[] superpacket = output.Flat;
        GsoInfo gso = output.Gso;
        InvariantViolationException.Check(gso.IsSuperpacket && gso.NeedsChecksum, "a superpacket carries GSO metadata with NEEDS_CSUM");
        DropReason reason = Segmenter.Segment(superpacket, gso, _segments, _lengths, out int count);
        InvariantViolationException.Check(reason.IsNone, $"a superpacket segments again ({reason})");
        InvariantViolationException.Check(count == output.Packets.Count, "a superpacket segments into as many packets as it merged");
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> segment = _segments[i].Span[.._lengths[i]];
            ReadOnlySpan<byte> original = _packets[output.Packets[i]].Data;
            PacketParser.Parse(original, out PacketLayout layout);
            original = original[..layout.PacketLength];
            InvariantViolationException.Check(segment.Length == original.Length, "a segment is as long as the packet it came from");
            InvariantViolationException.Check(segment[layout.PayloadOffset..].SequenceEqual(original[layout.PayloadOffset..]), "a segment carries its packet's payload");
            int addresses = layout.IsIPv6 ? 8 : 12;
            int addressLength = layout.IsIPv6 ? 32 : 8;
            InvariantViolationException.Check(segment.Slice(addresses, addressLength).SequenceEqual(original.Slice(addresses, addressLength)), "a segment has its packet's addresses");
            ReadOnlySpan<byte> segmentL4 = segment[layout.TransportOffset..];
            ReadOnlySpan<byte> originalL4 = original[layout.TransportOffset..];
            InvariantViolationException.Check(segmentL4[..4].SequenceEqual(originalL4[..4]), "a segment has its packet's ports");
            if (layout.Protocol == IpProtocol.Tcp)
            {
                InvariantViolationException.Check(BinaryPrimitives.ReadUInt32BigEndian(segmentL4[4..]) == BinaryPrimitives.ReadUInt32BigEndian(originalL4[4..]), "a segment has its packet's sequence number");
            }

            InvariantViolationException.Check(SeedPackets.ChecksumsVerify(segment), "a segment's checksums verify");
        }
    }

    /// <summary>Records what the coalescer writes, and which input packets each output borrows from.</summary>
    private sealed class RecordingSink(byte[][] buffers) : IGsoSink
    {
        private int _count;

        public List<Output> Outputs { get; } = [];

        public void Reset(int count)
        {
            Outputs.Clear();
            _count = count;
        }

        public DropReason Write(in Packet packet)
        {
            Outputs.Add(new Output([IndexOf(packet.Buffer)], packet.Data.ToArray(), packet.Gso));
            return DropReason.None;
        }

        public DropReason WriteGso(Span<byte> header, ReadOnlySpan<ReadOnlyMemory<byte>> payloads, in GsoInfo gso)
        {
            var packets = new List<int>();
            var flat = new List<byte>(header.ToArray());
            foreach (ReadOnlyMemory<byte> payload in payloads)
            {
                packets.Add(IndexOf(payload));
                flat.AddRange(payload.ToArray());
            }

            Outputs.Add(new Output(packets, [.. flat], gso));
            return DropReason.None;
        }

        private int IndexOf(ReadOnlyMemory<byte> memory)
        {
            InvariantViolationException.Check(MemoryMarshal.TryGetArray(memory, out ArraySegment<byte> segment), "output borrows the packets' own buffers");
            for (int i = 0; i < _count; i++)
            {
                if (ReferenceEquals(segment.Array, buffers[i]))
                {
                    return i;
                }
            }

            throw new InvariantViolationException("output borrows only the packets it was given");
        }

        public sealed record Output(List<int> Packets, byte[] Flat, GsoInfo Gso);
    }
}
