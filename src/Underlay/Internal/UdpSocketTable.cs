using System.Globalization;
using System.Runtime.InteropServices;

namespace RouterHost.Underlay.Internal;

/// <summary>
/// The kernel's tables of UDP sockets in the calling thread's network namespace (<c>/proc/thread-self/net/udp</c> and
/// <c>udp6</c>): who is bound to a port. Read on the control plane only, when a port turns out to be taken.
/// </summary>
/// <remarks>
/// A line is <c>sl: LOCAL REMOTE st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...</c> (udp4_format_sock
/// and __udp6_seq_show). <c>LOCAL</c> is the address as 8 (IPv4) or 32 (IPv6) hex digits and the port as 4, after a
/// colon; each group of 8 address digits is a 32-bit word of the address in network order as the kernel's CPU reads it
/// (so on a little-endian machine 127.0.0.1 is <c>0100007F</c>), the port is in host order.
/// </remarks>
internal static class UdpSocketTable
{
    private const int MinimumFields = 10;

    /// <summary>
    /// Every UDP socket of the calling thread's network namespace, IPv4 and IPv6. A table that cannot be read (no IPv6
    /// in the kernel, no /proc) contributes nothing; lines that do not parse are skipped.
    /// </summary>
    public static List<UdpSocketEntry> Read()
    {
        var entries = new List<UdpSocketEntry>();
        foreach (string path in (ReadOnlySpan<string>)["/proc/thread-self/net/udp", "/proc/thread-self/net/udp6"])
        {
            string text;
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (Range range in text.AsSpan().Split('\n'))
            {
                if (TryParseLine(text.AsSpan()[range], out UdpSocketEntry entry))
                {
                    entries.Add(entry);
                }
            }
        }

        return entries;
    }

    /// <summary>Parses one line of the table; false for the header line and for anything malformed. Never throws.</summary>
    public static bool TryParseLine(ReadOnlySpan<char> line, out UdpSocketEntry entry)
    {
        entry = default;
        Span<Range> fields = stackalloc Range[MinimumFields + 1];
        int count = line.SplitAny(fields, " \t", StringSplitOptions.RemoveEmptyEntries);
        if (count < MinimumFields)
        {
            return false;
        }

        ReadOnlySpan<char> slot = line[fields[0]];
        if (slot.Length < 2 || slot[^1] != ':' || !IsDecimal(slot[..^1]))
        {
            return false;
        }

        if (!TryParseLocal(line[fields[1]], out UdpEndpoint local)
            || !uint.TryParse(line[fields[7]], NumberStyles.None, CultureInfo.InvariantCulture, out uint uid)
            || !ulong.TryParse(line[fields[9]], NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
        {
            return false;
        }

        entry = new UdpSocketEntry(local, uid, inode);
        return true;
    }

    /// <summary>
    /// Whether a socket bound to <paramref name="bound"/> is in the way of binding <paramref name="wanted"/>, or could share
    /// its SO_REUSEPORT port: the same port and family, and the same address or either one unspecified. Other families are
    /// left out: the table does not say whether an IPv6 socket is IPv6-only, and an IPv6-only <c>[::]</c> and an IPv4
    /// <c>0.0.0.0</c> on one port are no conflict (a router listens on both by default).
    /// </summary>
    public static bool Overlaps(UdpEndpoint bound, UdpEndpoint wanted)
    {
        if (bound.Port != wanted.Port || bound.IsNone || wanted.IsNone || bound.IsIPv6 != wanted.IsIPv6)
        {
            return false;
        }

        Span<byte> a = stackalloc byte[16];
        Span<byte> b = stackalloc byte[16];
        bound.WriteAddress16(a);
        wanted.WriteAddress16(b);
        return a.SequenceEqual(b) || IsUnspecified(bound, a) || IsUnspecified(wanted, b);
    }

    /// <summary>
    /// Whether <paramref name="bound"/> is an unspecified address of the other family on the same port as
    /// <paramref name="wanted"/>: what may be in the way when nothing of the same family is (a dual-stack <c>[::]</c>
    /// takes IPv4 too).
    /// </summary>
    public static bool MayOverlapAcrossFamilies(UdpEndpoint bound, UdpEndpoint wanted)
    {
        if (bound.Port != wanted.Port || bound.IsNone || wanted.IsNone || bound.IsIPv6 == wanted.IsIPv6)
        {
            return false;
        }

        Span<byte> a = stackalloc byte[16];
        Span<byte> b = stackalloc byte[16];
        bound.WriteAddress16(a);
        wanted.WriteAddress16(b);
        return IsUnspecified(bound, a) || IsUnspecified(wanted, b);
    }

    private static bool IsUnspecified(UdpEndpoint endpoint, ReadOnlySpan<byte> address16) =>
        endpoint.IsIPv6 ? !address16.ContainsAnyExcept((byte)0) : !address16[12..].ContainsAnyExcept((byte)0);

    private static bool TryParseLocal(ReadOnlySpan<char> text, out UdpEndpoint local)
    {
        local = default;
        int colon = text.IndexOf(':');
        if (colon < 0 || text.Length - colon - 1 != 4 || (colon != 8 && colon != 32))
        {
            return false;
        }

        ReadOnlySpan<char> address = text[..colon];
        if (!ushort.TryParse(text[(colon + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort port) || !IsHex(address))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        int words = address.Length / 8;
        for (int i = 0; i < words; i++)
        {
            // The kernel printed each word as its CPU reads the address bytes: writing it back natively restores them.
            uint word = uint.Parse(address.Slice(i * 8, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            MemoryMarshal.Write(bytes[(i * 4)..], in word);
        }

        local = words == 1
            ? UdpEndpoint.FromIPv4Bits(MemoryMarshal.Read<uint>(bytes), port)
            : UdpEndpoint.FromAddress16(bytes, port, 0);
        return true;
    }

    private static bool IsHex(ReadOnlySpan<char> text) => !text.IsEmpty && !text.ContainsAnyExcept("0123456789abcdefABCDEF");

    private static bool IsDecimal(ReadOnlySpan<char> text) => !text.IsEmpty && !text.ContainsAnyExceptInRange('0', '9');
}
