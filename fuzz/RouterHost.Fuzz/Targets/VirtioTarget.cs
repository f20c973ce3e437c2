using RouterHost.Abstractions;
using RouterHost.Packets;

namespace RouterHost.Fuzz.Targets;

/// <summary>
/// What a TUN queue reads: a 10-byte virtio-net header and the packet after it. <see cref="VirtioOffload.Decode(ReadOnlySpan{byte}, ReadOnlySpan{byte}, out GsoInfo)"/>
/// checks the header against the packet; then, as the queue and the runner do, a partial checksum is completed and a
/// superpacket is segmented. Invariants: accepted metadata lies inside the packet; encoding it gives a header that
/// decodes to the same metadata; a completed checksum verifies; a superpacket splits into exactly the segments
/// <see cref="Segmenter.SegmentCount"/> promised, each no longer than header + segment size, each parsing with correct
/// checksums, their payloads together the superpacket's payload.
/// </summary>
internal sealed class VirtioTarget : IFuzzTarget
{
    public const string TargetName = "virtio";

    private const int MaxSegments = 256;

    private readonly byte[] _packet = new byte[65536 + 64];
    private readonly byte[] _header = new byte[VirtioNetHeader.Length];
    private readonly Memory<byte>[] _segments = new Memory<byte>[MaxSegments];
    private readonly int[] _lengths = new int[MaxSegments];

    public VirtioTarget()
    {
        byte[] scratch = new byte[MaxSegments * 65536 / 16];
        for (int i = 0; i < MaxSegments; i++)
        {
            // Segments of at most 4 KiB each: bigger ones are refused as "destination too small", which is a reason too.
            _segments[i] = scratch.AsMemory(i * 4096, 4096);
        }
    }

    public string Name => TargetName;

    public string Description => "virtio-net headers with their packets (src/Packets VirtioOffload), checksum completion and segmentation";

    public void Run(ReadOnlySpan<byte> input)
    {
        ReadOnlySpan<byte> header = input[..Math.Min(VirtioNetHeader.Length, input.Length)];
        ReadOnlySpan<byte> rest = input[header.Length..];
        int length = Math.Min(rest.Length, _packet.Length);
        Span<byte> packet = _packet.AsSpan(0, length);
        rest[..length].CopyTo(packet);

        DropReason reason = VirtioOffload.Decode(header, packet, out GsoInfo gso);
        if (!reason.IsNone)
        {
            return;
        }

        if (gso.NeedsChecksum)
        {
            InvariantViolationException.Check(gso.ChecksumStart < packet.Length && gso.ChecksumOffset + 2 <= packet.Length - gso.ChecksumStart, "the checksum field lies inside the packet");
        }

        if (VirtioOffload.TryEncode(gso, _header))
        {
            InvariantViolationException.Check(VirtioOffload.Decode(_header, packet, out GsoInfo again).IsNone, "an encoded header decodes");
            InvariantViolationException.Check(again.Type == gso.Type && again.SegmentSize == gso.SegmentSize && again.NeedsChecksum == gso.NeedsChecksum
                && again.Ecn == gso.Ecn && (!gso.NeedsChecksum || (again.ChecksumStart == gso.ChecksumStart && again.ChecksumOffset == gso.ChecksumOffset)),
                "an encoded header decodes to the same metadata");
        }

        if (!gso.IsSuperpacket)
        {
            if (gso.NeedsChecksum)
            {
                GsoInfo completed = gso;
                InvariantViolationException.Check(VirtioOffload.CompleteChecksum(packet, ref completed).IsNone && !completed.NeedsChecksum, "a partial checksum in bounds is completed");
            }

            return;
        }

        InvariantViolationException.Check(gso.HeaderLength < packet.Length, "a superpacket's headers leave payload behind them");
        int expected = Segmenter.SegmentCount(packet, gso);
        DropReason segmented = Segmenter.Segment(packet, gso, _segments, _lengths, out int count);
        if (!segmented.IsNone)
        {
            return;
        }

        InvariantViolationException.Check(count == expected && count > 0, "segmentation gives the promised number of segments");
        PacketParser.Parse(packet, out PacketLayout layout);
        int headerLength = layout.PayloadOffset;
        int offset = headerLength;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> segment = _segments[i].Span[.._lengths[i]];
            InvariantViolationException.Check(segment.Length <= headerLength + gso.SegmentSize && segment.Length > headerLength, "a segment holds header and at most one segment size of payload");
            InvariantViolationException.Check(SeedPackets.ChecksumsVerify(segment), "a segment parses and its checksums verify");
            ReadOnlySpan<byte> payload = segment[headerLength..];
            InvariantViolationException.Check(payload.SequenceEqual(packet.Slice(offset, payload.Length)), "the segments' payloads are the superpacket's payload, in order");
            offset += payload.Length;
        }

        InvariantViolationException.Check(offset == layout.PacketLength, "the segments carry the whole payload");
    }

    public IEnumerable<KeyValuePair<string, byte[]>> Seeds()
    {
        yield return new("plain", [.. Header(0, 0, 0, 0, 0, 0), .. SeedPackets.Udp(ipv6: false, 20)]);
        yield return new("needs-csum-udp", [.. Header(1, 0, 0, 0, 20, 6), .. SeedPackets.Udp(ipv6: false, 20)]);
        yield return new("tso4", [.. Header(1, 1, 40, 500, 20, 16), .. SeedPackets.Tcp(ipv6: false, 1800)]);
        yield return new("tso6-ecn", [.. Header(1, 4 | 0x80, 60, 700, 40, 16), .. SeedPackets.Tcp(ipv6: true, 2000, flags: (byte)(TcpFlags.Ack | TcpFlags.Cwr | TcpFlags.Psh))]);
        yield return new("uso6", [.. Header(1, 5, 48, 300, 40, 6), .. SeedPackets.Udp(ipv6: true, 1000)]);
        yield return new("uso4-options", [.. Header(1, 5, 28, 100, 20, 6), .. SeedPackets.Udp(ipv6: false, 250)]);
    }

    private static byte[] Header(byte flags, byte type, ushort headerLength, ushort gsoSize, ushort checksumStart, ushort checksumOffset)
    {
        byte[] header = new byte[VirtioNetHeader.Length];
        new VirtioNetHeader(flags, type, headerLength, gsoSize, checksumStart, checksumOffset).TryWrite(header);
        return header;
    }
}
