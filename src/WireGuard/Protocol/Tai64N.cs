using System.Buffers.Binary;

namespace RouterHost.WireGuard.Protocol;

/// <summary>
/// TAI64N timestamps (12 bytes: seconds since 1970 plus 2^62 + 10, big-endian; then nanoseconds, big-endian), the
/// initiation's replay protection: a responder accepts an initiation only if its timestamp is greater than the last
/// one it accepted from that peer. Nanoseconds are rounded down to 2^24 ns (≈16.8 ms), so a timestamp does not reveal
/// the sender's clock finely (as wireguard-go does).
/// </summary>
public static class Tai64N
{
    /// <summary>Bytes of a timestamp.</summary>
    public const int Size = 12;

    private const ulong Base = 0x400000000000000aUL;
    private const uint WhitenerMask = 0x1000000 - 1;

    /// <summary>Writes the timestamp of <paramref name="time"/>.</summary>
    public static void Write(Span<byte> destination, DateTimeOffset time)
    {
        long ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += TimeSpan.TicksPerSecond;
        }

        uint nanoseconds = (uint)(remainder * 100) & ~WhitenerMask;
        BinaryPrimitives.WriteUInt64BigEndian(destination, Base + (ulong)seconds);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], nanoseconds);
    }

    /// <summary>Whether <paramref name="candidate"/> is strictly later than <paramref name="latest"/>.</summary>
    public static bool IsAfter(ReadOnlySpan<byte> candidate, ReadOnlySpan<byte> latest) =>
        candidate[..Size].SequenceCompareTo(latest[..Size]) > 0;

    /// <summary>The time a timestamp stands for (for diagnostics).</summary>
    public static DateTimeOffset ToDateTimeOffset(ReadOnlySpan<byte> timestamp)
    {
        ulong seconds = BinaryPrimitives.ReadUInt64BigEndian(timestamp) - Base;
        uint nanoseconds = BinaryPrimitives.ReadUInt32BigEndian(timestamp[8..]);
        return DateTimeOffset.UnixEpoch.AddTicks(((long)seconds * TimeSpan.TicksPerSecond) + (nanoseconds / 100));
    }
}
