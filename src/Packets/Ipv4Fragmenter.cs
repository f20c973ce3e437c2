using System.Buffers.Binary;

namespace RouterHost.Packets;

/// <summary>
/// Splits an IPv4 packet whose DF flag is clear into fragments that fit a smaller MTU, as a router must (RFC 791,
/// RFC 1812 5.2.6): every fragment's data but the last's is a multiple of 8 bytes; the first keeps every option, the
/// others only those marked "copied"; offsets and MF continue those of a packet that was already a fragment.
/// The first fragment is made in place by shortening the packet (<see cref="MakeFirstFragment"/>); the others are
/// written into buffers of the caller's (<see cref="WriteLaterFragment"/>). Allocation-free; the caller checks
/// <see cref="TryPlan"/> first, so nothing here can fail on input it accepted.
/// </summary>
public static class Ipv4Fragmenter
{
    private const int FixedHeaderLength = 20;
    private const byte OptionCopiedFlag = 0x80;

    /// <summary>
    /// Plans the fragments of <paramref name="packet"/> (a parsed IPv4 packet of <paramref name="packetLength"/> bytes)
    /// for <paramref name="mtu"/>: how much data the first fragment keeps, how long the headers of the later ones are,
    /// how much data each of them carries, and how many fragments there are in all. False when the MTU leaves no room
    /// for 8 bytes of data after a header.
    /// </summary>
    public static bool TryPlan(ReadOnlySpan<byte> packet, int packetLength, int mtu, out Ipv4FragmentPlan plan)
    {
        plan = default;
        int headerLength = (packet[0] & 0x0F) * 4;
        int laterHeaderLength = LaterHeaderLength(packet[..headerLength]);
        int firstData = (mtu - headerLength) & ~7;
        int laterData = (mtu - laterHeaderLength) & ~7;
        int data = packetLength - headerLength;
        if (firstData < 8 || laterData < 8 || data <= firstData)
        {
            return false;
        }

        int count = 1 + ((data - firstData + laterData - 1) / laterData);
        plan = new Ipv4FragmentPlan(headerLength, laterHeaderLength, firstData, laterData, count);
        return true;
    }

    /// <summary>
    /// The header length of every fragment after the first: the fixed header plus the options whose "copied" bit is
    /// set, padded with end-of-list to a multiple of 4. The options must be well formed (the parser checked them).
    /// </summary>
    public static int LaterHeaderLength(ReadOnlySpan<byte> header)
    {
        int copied = 0;
        ReadOnlySpan<byte> options = header[FixedHeaderLength..];
        int i = 0;
        while (i < options.Length && options[i] != 0)
        {
            if (options[i] == 1)
            {
                i++;
                continue;
            }

            int length = options[i + 1];
            if ((options[i] & OptionCopiedFlag) != 0)
            {
                copied += length;
            }

            i += length;
        }

        return FixedHeaderLength + ((copied + 3) & ~3);
    }

    /// <summary>The length of fragment <paramref name="index"/> (1 or more) of a packet of <paramref name="packetLength"/> bytes.</summary>
    public static int LaterFragmentLength(int packetLength, in Ipv4FragmentPlan plan, int index)
    {
        int start = plan.FirstData + ((index - 1) * plan.LaterData);
        return plan.LaterHeaderLength + Math.Min(plan.LaterData, packetLength - plan.HeaderLength - start);
    }

    /// <summary>
    /// Writes fragment <paramref name="index"/> (1 or more) of <paramref name="packet"/> into
    /// <paramref name="destination"/> and returns its length (at most the MTU the plan was made for).
    /// </summary>
    public static int WriteLaterFragment(ReadOnlySpan<byte> packet, int packetLength, in Ipv4FragmentPlan plan, int index, Span<byte> destination)
    {
        int start = plan.FirstData + ((index - 1) * plan.LaterData);
        int data = Math.Min(plan.LaterData, packetLength - plan.HeaderLength - start);
        int length = plan.LaterHeaderLength + data;
        Span<byte> fragment = destination[..length];
        packet[..FixedHeaderLength].CopyTo(fragment);
        Span<byte> options = fragment[FixedHeaderLength..plan.LaterHeaderLength];
        options.Clear();
        ReadOnlySpan<byte> original = packet[FixedHeaderLength..plan.HeaderLength];
        int i = 0;
        int o = 0;
        while (i < original.Length && original[i] != 0)
        {
            if (original[i] == 1)
            {
                i++;
                continue;
            }

            int optionLength = original[i + 1];
            if ((original[i] & OptionCopiedFlag) != 0)
            {
                original.Slice(i, optionLength).CopyTo(options[o..]);
                o += optionLength;
            }

            i += optionLength;
        }

        packet.Slice(plan.HeaderLength + start, data).CopyTo(fragment[plan.LaterHeaderLength..]);
        bool last = plan.HeaderLength + start + data == packetLength;
        fragment[0] = (byte)(0x40 | (plan.LaterHeaderLength / 4));
        WriteLengthAndOffset(fragment, packet, length, start, last);
        return length;
    }

    /// <summary>
    /// Shortens <paramref name="packet"/> in place to the first fragment of the plan: its total length, MF, and
    /// header checksum are rewritten; the bytes after it are left for <see cref="WriteLaterFragment"/>, which must
    /// have copied them already.
    /// </summary>
    public static int MakeFirstFragment(Span<byte> packet, in Ipv4FragmentPlan plan)
    {
        int length = plan.HeaderLength + plan.FirstData;
        WriteLengthAndOffset(packet, packet, length, 0, last: false);
        return length;
    }

    private static void WriteLengthAndOffset(Span<byte> fragment, ReadOnlySpan<byte> original, int length, int start, bool last)
    {
        ushort word = BinaryPrimitives.ReadUInt16BigEndian(original[6..]);
        bool originalMoreFragments = (word & Ipv4Header.MoreFragmentsFlag) != 0;
        int offset = ((word & 0x1FFF) * 8) + start;
        ushort flags = (ushort)(word & 0x8000); // keep the reserved bit as it was; DF is clear (or we would not fragment)
        if (!last || originalMoreFragments)
        {
            flags |= Ipv4Header.MoreFragmentsFlag;
        }

        BinaryPrimitives.WriteUInt16BigEndian(fragment[2..], (ushort)length);
        BinaryPrimitives.WriteUInt16BigEndian(fragment[6..], (ushort)(flags | (offset / 8)));
        Ipv4Header.WriteChecksum(fragment);
    }
}

/// <summary>How <see cref="Ipv4Fragmenter"/> splits one packet.</summary>
/// <param name="HeaderLength">The original header's length (the first fragment's).</param>
/// <param name="LaterHeaderLength">The header length of every later fragment.</param>
/// <param name="FirstData">Data bytes the first fragment keeps (a multiple of 8).</param>
/// <param name="LaterData">Data bytes of every later fragment but the last (a multiple of 8).</param>
/// <param name="Count">Fragments in all, the first included.</param>
public readonly record struct Ipv4FragmentPlan(int HeaderLength, int LaterHeaderLength, int FirstData, int LaterData, int Count);
