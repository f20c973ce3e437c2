using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Packets;

/// <summary>
/// Generic receive offload in user space: merges consecutive segments of one TCP flow (and, when enabled, same-
/// sized datagrams of one UDP flow) into superpackets, following the rules of Linux GRO and wireguard-go's
/// tun/offload_linux.go, so a burst of decrypted packets reaches the TUN in a few vectored writes.
/// <para>
/// Payload is never copied: a superpacket is a header prefix built in coalescer-owned scratch (lengths set, the
/// L4 checksum field holding the folded pseudo-header sum per virtio NEEDS_CSUM) plus slices of the original
/// packets. Packets that cannot merge are written unchanged, and each flow's packets leave in their arrival
/// order. Everything is allocated in the constructor; <see cref="TryAdd"/> and <see cref="Flush"/> allocate
/// nothing. Single-threaded: one instance per write path.
/// </para>
/// </summary>
public sealed class GroCoalescer
{
    /// <summary>The largest IP packet a superpacket may become (the IPv4 total length / IPv6 payload length limit).</summary>
    public const int MaxSuperpacketLength = ushort.MaxValue;

    // IPv6 fixed header plus the longest TCP header; IPv4 with options is never merged.
    private const int MaxHeaderLength = Ipv6Header.Length + TcpHeader.MaxLength;
    private const int NoPacket = -1;

    private readonly Packet[] _packets;
    private readonly int[] _next;
    private readonly int[] _payloadLength;
    private readonly GroItem[] _items;
    private readonly int[] _flowItems;
    private readonly uint[] _flowGenerations;
    private readonly int _flowMask;
    private readonly ReadOnlyMemory<byte>[] _fragments;
    private readonly byte[] _header = new byte[MaxHeaderLength];
    private readonly bool _coalesceUdp;
    private readonly int _maxSegments;
    private uint _generation = 1;
    private int _count;
    private int _itemCount;

    /// <summary>Creates a coalescer that holds up to <paramref name="capacity"/> packets between flushes.</summary>
    /// <param name="capacity">Packets held at most (the batch size).</param>
    /// <param name="coalesceUdp">Also merge UDP datagrams (the TUN must support USO, Linux 6.2+).</param>
    /// <param name="maxSegments">Most packets in one superpacket (Linux GRO stops at 64).</param>
    public GroCoalescer(int capacity = 128, bool coalesceUdp = false, int maxSegments = 64)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSegments, 1);
        _packets = new Packet[capacity];
        _next = new int[capacity];
        _payloadLength = new int[capacity];
        _items = new GroItem[capacity];
        _fragments = new ReadOnlyMemory<byte>[capacity];
        int flowSlots = (int)Math.Min(1u << 30, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity * 2));
        _flowItems = new int[flowSlots];
        _flowGenerations = new uint[flowSlots];
        _flowMask = flowSlots - 1;
        _coalesceUdp = coalesceUdp;
        _maxSegments = maxSegments;
    }

    /// <summary>How many packets are held.</summary>
    public int Count => _count;

    /// <summary>How many packets can be held between flushes.</summary>
    public int Capacity => _packets.Length;

    /// <summary>
    /// Holds <paramref name="packet"/> for coalescing, merging it into its flow's open superpacket when every
    /// rule allows. Its bytes must stay valid until <see cref="Flush"/>. Returns false when full: flush first.
    /// </summary>
    public bool TryAdd(in Packet packet)
    {
        if (_count == _packets.Length)
        {
            return false;
        }

        int index = _count++;
        _packets[index] = packet;
        _next[index] = NoPacket;
        ReadOnlySpan<byte> data = packet.Data;
        bool hasFlow = Describe(data, packet.Gso, index, out GroItem candidate, out bool mergeable);
        _payloadLength[index] = candidate.SegmentSize;
        if (!hasFlow)
        {
            _items[_itemCount++] = candidate;
            return true;
        }

        int slot = FindFlow(data, candidate);
        if (_flowGenerations[slot] == _generation)
        {
            ref GroItem item = ref _items[_flowItems[slot]];
            if (mergeable && item.Open && CanMerge(item, data, candidate))
            {
                Append(ref item, index, candidate);
                return true;
            }

            // Anything of the flow that does not merge ends its superpacket, so the flow's order is kept.
            item.Open = false;
        }

        candidate.Open = mergeable && !candidate.Push;
        _flowGenerations[slot] = _generation;
        _flowItems[slot] = _itemCount;
        _items[_itemCount++] = candidate;
        return true;
    }

    /// <summary>
    /// Writes everything held to <paramref name="sink"/> in arrival order of each superpacket's first packet,
    /// counting refused writes in <paramref name="drops"/> (a refused superpacket counts each of its packets),
    /// and empties the coalescer.
    /// </summary>
    public void Flush(IGsoSink sink, DropTally? drops = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        try
        {
            for (int i = 0; i < _itemCount; i++)
            {
                ref GroItem item = ref _items[i];
                DropReason reason = item.Segments == 1
                    ? sink.Write(in _packets[item.Head])
                    : WriteSuperpacket(sink, item);
                if (!reason.IsNone)
                {
                    drops?.Add(reason, item.Segments);
                }
            }
        }
        finally
        {
            Reset();
        }
    }

    /// <summary>Coalesces <paramref name="packets"/> and writes the result to <paramref name="sink"/>, flushing whenever full.</summary>
    public void Coalesce(ReadOnlySpan<Packet> packets, IGsoSink sink, DropTally? drops = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        for (int i = 0; i < packets.Length; i++)
        {
            if (!TryAdd(packets[i]))
            {
                Flush(sink, drops);
                TryAdd(packets[i]);
            }
        }

        Flush(sink, drops);
    }

    // Fills in what merging needs to know about one packet. Returns false when it belongs to no flow the
    // coalescer tracks (not TCP, or UDP with UDP coalescing off, or unparseable); mergeable says whether it may
    // join or start a superpacket.
    private bool Describe(ReadOnlySpan<byte> data, in GsoInfo gso, int index, out GroItem candidate, out bool mergeable)
    {
        candidate = default;
        candidate.Head = index;
        candidate.Tail = index;
        candidate.Segments = 1;
        mergeable = false;
        if (!PacketParser.Parse(data, out PacketLayout layout).IsNone || !layout.HasTransportHeader)
        {
            return false;
        }

        bool isTcp = layout.Protocol == IpProtocol.Tcp;
        if (!isTcp && !(_coalesceUdp && layout.Protocol == IpProtocol.Udp))
        {
            return false;
        }

        int transportOffset = layout.TransportOffset;
        int payload = layout.PacketLength - layout.PayloadOffset;
        candidate.IsTcp = isTcp;
        candidate.IsIPv6 = layout.IsIPv6;
        candidate.Hash = FlowHash.ComputeWithPorts(data, layout);
        candidate.TransportOffset = transportOffset;
        candidate.HeaderLength = layout.PayloadOffset;
        candidate.SegmentSize = payload;
        candidate.TotalLength = layout.PacketLength;

        ReadOnlySpan<byte> l4 = data[transportOffset..layout.PacketLength];
        if (isTcp)
        {
            uint sequence = BinaryPrimitives.ReadUInt32BigEndian(l4[4..]);
            candidate.NextSequence = sequence + (uint)payload;
            byte flags = l4[13];
            candidate.Push = (flags & (byte)TcpFlags.Psh) != 0;

            // Only plain data segments merge: no SYN, FIN, RST, URG, ECE or CWR.
            if ((flags & ~(byte)TcpFlags.Psh) != (byte)TcpFlags.Ack)
            {
                return true;
            }
        }
        else if (layout.PayloadLength != payload || (!layout.IsIPv6 && BinaryPrimitives.ReadUInt16BigEndian(l4[6..]) == 0))
        {
            // Trailing bytes past the UDP length, or an IPv4 datagram sent without a checksum we could verify.
            return true;
        }

        int plainHeader = layout.IsIPv6 ? Ipv6Header.Length : Ipv4Header.MinLength;
        // A first fragment never merges, but it belongs to its flow: it ends the flow's superpacket, or a segment
        // after it would be merged ahead of it (caught by the gro fuzz target's flow-order check,
        // fuzz/crashes/gro).
        if (layout.IsFragment || payload == 0 || transportOffset != plainHeader || gso.IsSuperpacket || gso.NeedsChecksum)
        {
            // No IPv4 options or IPv6 extension headers, and only finished, ordinary packets.
            return true;
        }

        // A packet with a bad checksum is passed through unmerged for the kernel to drop; merging it would
        // hide the damage behind a checksum the kernel computes itself.
        if (!layout.IsIPv6 && !InternetChecksum.Verifies(data[..transportOffset]))
        {
            return true;
        }

        ushort pseudo = PseudoHeaderChecksum.ForPacket(data, layout.Protocol, l4.Length);
        mergeable = InternetChecksum.Verifies(l4, pseudo);
        return true;
    }

    private bool CanMerge(in GroItem item, ReadOnlySpan<byte> data, in GroItem candidate)
    {
        if (candidate.HeaderLength != item.HeaderLength
            || candidate.SegmentSize > item.SegmentSize
            || item.TotalLength + candidate.SegmentSize > MaxSuperpacketLength
            || item.Segments >= _maxSegments)
        {
            return false;
        }

        ReadOnlySpan<byte> head = _packets[item.Head].Data;
        if (item.IsIPv6)
        {
            // Version, traffic class and flow label; hop limit.
            if (!head[..4].SequenceEqual(data[..4]) || head[7] != data[7])
            {
                return false;
            }
        }
        else
        {
            ushort headFlags = BinaryPrimitives.ReadUInt16BigEndian(head[6..]);
            ushort flags = BinaryPrimitives.ReadUInt16BigEndian(data[6..]);
            if (head[1] != data[1] || head[8] != data[8] || ((headFlags ^ flags) & Ipv4Header.DontFragmentFlag) != 0)
            {
                return false;
            }

            // Without DF the identification still matters (RFC 6864), so it must count up the way
            // segmentation will rewrite it.
            if ((flags & Ipv4Header.DontFragmentFlag) == 0
                && BinaryPrimitives.ReadUInt16BigEndian(data[4..]) != (ushort)(BinaryPrimitives.ReadUInt16BigEndian(head[4..]) + item.Segments))
            {
                return false;
            }
        }

        if (!item.IsTcp)
        {
            return true;
        }

        ReadOnlySpan<byte> headTcp = head[item.TransportOffset..item.HeaderLength];
        ReadOnlySpan<byte> tcp = data[candidate.TransportOffset..candidate.HeaderLength];
        return candidate.NextSequence - (uint)candidate.SegmentSize == item.NextSequence
            && headTcp.Slice(8, 4).SequenceEqual(tcp.Slice(8, 4)) // acknowledgment number
            && headTcp.Slice(14, 2).SequenceEqual(tcp.Slice(14, 2)) // window
            && headTcp[TcpHeader.MinLength..].SequenceEqual(tcp[TcpHeader.MinLength..]); // options
    }

    private void Append(ref GroItem item, int index, in GroItem candidate)
    {
        _next[item.Tail] = index;
        item.Tail = index;
        item.Segments++;
        item.TotalLength += candidate.SegmentSize;
        item.NextSequence = candidate.NextSequence;
        if (candidate.SegmentSize < item.SegmentSize)
        {
            // Only the last segment may be short.
            item.Open = false;
        }

        if (candidate.Push)
        {
            item.Push = true;
            item.Open = false;
        }
    }

    // Returns the slot holding this packet's flow in the current generation, or the free slot where it goes.
    private int FindFlow(ReadOnlySpan<byte> data, in GroItem candidate)
    {
        int slot = (int)candidate.Hash & _flowMask;
        while (true)
        {
            if (_flowGenerations[slot] != _generation)
            {
                return slot;
            }

            ref GroItem item = ref _items[_flowItems[slot]];
            if (item.Hash == candidate.Hash && SameFlow(item, data, candidate))
            {
                return slot;
            }

            slot = (slot + 1) & _flowMask;
        }
    }

    private bool SameFlow(in GroItem item, ReadOnlySpan<byte> data, in GroItem candidate)
    {
        if (item.IsIPv6 != candidate.IsIPv6 || item.IsTcp != candidate.IsTcp)
        {
            return false;
        }

        ReadOnlySpan<byte> head = _packets[item.Head].Data;
        ReadOnlySpan<byte> addresses = item.IsIPv6 ? head.Slice(8, 32) : head.Slice(12, 8);
        ReadOnlySpan<byte> candidateAddresses = candidate.IsIPv6 ? data.Slice(8, 32) : data.Slice(12, 8);
        return addresses.SequenceEqual(candidateAddresses)
            && head.Slice(item.TransportOffset, 4).SequenceEqual(data.Slice(candidate.TransportOffset, 4));
    }

    private DropReason WriteSuperpacket(IGsoSink sink, in GroItem item)
    {
        int headerLength = item.HeaderLength;
        int transportOffset = item.TransportOffset;
        Span<byte> header = _header.AsSpan(0, headerLength);
        _packets[item.Head].Data[..headerLength].CopyTo(header);

        if (item.IsIPv6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(header[4..], (ushort)(item.TotalLength - Ipv6Header.Length));
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)item.TotalLength);
            Ipv4Header.WriteChecksum(header[..transportOffset]);
        }

        Span<byte> l4 = header[transportOffset..];
        int l4Length = item.TotalLength - transportOffset;
        int checksumOffset;
        byte protocol;
        if (item.IsTcp)
        {
            if (item.Push)
            {
                l4[13] |= (byte)TcpFlags.Psh;
            }

            checksumOffset = TcpHeader.ChecksumOffset;
            protocol = IpProtocol.Tcp;
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(l4[4..], (ushort)l4Length);
            checksumOffset = UdpHeader.ChecksumOffset;
            protocol = IpProtocol.Udp;
        }

        BinaryPrimitives.WriteUInt16BigEndian(l4[checksumOffset..], PseudoHeaderChecksum.ForPacket(header, protocol, l4Length));

        int fragments = 0;
        for (int p = item.Head; p != NoPacket; p = _next[p])
        {
            ref Packet packet = ref _packets[p];
            _fragments[fragments++] = packet.Buffer.Slice(packet.Offset + headerLength, _payloadLength[p]);
        }

        GsoInfo gso = default;
        gso.Type = item.IsTcp ? (item.IsIPv6 ? GsoType.TcpV6 : GsoType.TcpV4) : GsoType.UdpL4;
        gso.SegmentSize = (ushort)item.SegmentSize;
        gso.HeaderLength = (ushort)headerLength;
        gso.ChecksumStart = (ushort)transportOffset;
        gso.ChecksumOffset = (ushort)checksumOffset;
        gso.NeedsChecksum = true;
        DropReason reason = sink.WriteGso(header, _fragments.AsSpan(0, fragments), gso);
        Array.Clear(_fragments, 0, fragments);
        return reason;
    }

    private void Reset()
    {
        // Drop references to the callers' buffers so the coalescer never keeps them alive.
        Array.Clear(_packets, 0, _count);
        _count = 0;
        _itemCount = 0;
        if (++_generation == 0)
        {
            Array.Clear(_flowGenerations);
            _generation = 1;
        }
    }
}
