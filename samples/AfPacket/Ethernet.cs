using System.Buffers.Binary;
using System.Globalization;

namespace RouterHost.Samples.AfPacket;

/// <summary>Ethernet header helpers; a MAC address is a <see cref="ulong"/> holding its 6 bytes big-endian.</summary>
internal static class Ethernet
{
    public const int HeaderLength = 14;
    public const ushort TypeIPv4 = 0x0800;
    public const ushort TypeArp = 0x0806;
    public const ushort TypeIPv6 = 0x86DD;
    public const ulong Broadcast = 0xFFFF_FFFF_FFFF;

    /// <summary>The 6 bytes at the start of <paramref name="bytes"/> as a MAC.</summary>
    public static ulong ReadMac(ReadOnlySpan<byte> bytes) =>
        ((ulong)BinaryPrimitives.ReadUInt16BigEndian(bytes) << 32) | BinaryPrimitives.ReadUInt32BigEndian(bytes[2..]);

    /// <summary>Writes <paramref name="mac"/> as 6 bytes.</summary>
    public static void WriteMac(Span<byte> bytes, ulong mac)
    {
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)(mac >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(bytes[2..], (uint)mac);
    }

    /// <summary>Whether the group bit is set (multicast or broadcast): never a neighbour's own address.</summary>
    public static bool IsGroup(ulong mac) => (mac & 0x0100_0000_0000) != 0;

    /// <summary>Writes destination, source and type.</summary>
    public static void WriteHeader(Span<byte> frame, ulong destination, ulong source, ushort type)
    {
        WriteMac(frame, destination);
        WriteMac(frame[6..], source);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], type);
    }

    /// <summary>The usual text form, e.g. <c>02:00:00:00:00:01</c>.</summary>
    public static string Format(ulong mac) => string.Create(17, mac, static (span, value) =>
    {
        for (int i = 0; i < 6; i++)
        {
            byte b = (byte)(value >> (40 - (8 * i)));
            b.TryFormat(span[(i * 3)..], out _, "x2", CultureInfo.InvariantCulture);
            if (i < 5)
            {
                span[(i * 3) + 2] = ':';
            }
        }
    });
}
