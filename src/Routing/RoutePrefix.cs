using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace RouterHost.Routing;

/// <summary>
/// An IPv4 or IPv6 prefix: an address and a length. Host bits (address bits past the length) must be zero:
/// a prefix such as <c>10.1.2.3/8</c> is <b>rejected</b> with an <see cref="ArgumentException"/> (as
/// <c>ip route</c> and <see cref="IPNetwork"/> do), because it is usually a typo for a host route or a mask.
/// <see cref="Containing(IPAddress, int)"/> is the explicit way to ask for the prefix that contains an address.
/// </summary>
public readonly struct RoutePrefix : IEquatable<RoutePrefix>
{
    // The address left-aligned in 128 bits (an IPv4 address in the top 32), so both families share the trie code.
    private readonly ulong _high;
    private readonly ulong _low;
    private readonly byte _length;
    private readonly bool _isIPv6;

    private RoutePrefix(UInt128 key, int length, bool isIPv6)
    {
        _high = (ulong)(key >> 64);
        _low = (ulong)key;
        _length = (byte)length;
        _isIPv6 = isIPv6;
    }

    /// <summary>Whether this is an IPv6 prefix.</summary>
    public bool IsIPv6 => _isIPv6;

    /// <summary>The prefix length in bits (0..32 for IPv4, 0..128 for IPv6).</summary>
    public int Length => _length;

    /// <summary>The IPv4 network address as a number in host order (0 for an IPv6 prefix).</summary>
    public uint IPv4Address => _isIPv6 ? 0 : (uint)(_high >> 32);

    /// <summary>The IPv6 network address as a number (big-endian reading of the 16 bytes; 0 for an IPv4 prefix).</summary>
    public UInt128 IPv6Address => _isIPv6 ? Key : UInt128.Zero;

    /// <summary>The network address.</summary>
    public IPAddress Address
    {
        get
        {
            Span<byte> bytes = stackalloc byte[16];
            BinaryPrimitives.WriteUInt64BigEndian(bytes, _high);
            BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], _low);
            return new IPAddress(_isIPv6 ? bytes : bytes[..4]);
        }
    }

    /// <summary>The address, left-aligned in 128 bits.</summary>
    internal UInt128 Key => new(_high, _low);

    /// <summary>The largest length of this family.</summary>
    internal int MaxLength => _isIPv6 ? 128 : 32;

    /// <summary>An IPv4 prefix; <paramref name="address"/> in host order (<c>0x0A000000</c> is 10.0.0.0).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The length is not 0..32.</exception>
    /// <exception cref="ArgumentException">The address has bits set past the length.</exception>
    public static RoutePrefix IPv4(uint address, int length)
    {
        CheckLength(length, 32);
        var prefix = new RoutePrefix((UInt128)address << 96, length, isIPv6: false);
        CheckHostBits(prefix, address, length);
        return prefix;
    }

    /// <summary>An IPv6 prefix; <paramref name="address"/> is the 16 address bytes read big-endian.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The length is not 0..128.</exception>
    /// <exception cref="ArgumentException">The address has bits set past the length.</exception>
    public static RoutePrefix IPv6(UInt128 address, int length)
    {
        CheckLength(length, 128);
        var prefix = new RoutePrefix(address, length, isIPv6: true);
        CheckHostBits(prefix, address, length);
        return prefix;
    }

    /// <summary>A prefix of either family from an address and a length; host bits must be zero.</summary>
    public static RoutePrefix Create(IPAddress address, int length)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => IPv4(ToIPv4(address), length),
            AddressFamily.InterNetworkV6 => IPv6(ToIPv6(address), length),
            _ => throw new ArgumentException($"'{address}' is neither an IPv4 nor an IPv6 address.", nameof(address)),
        };
    }

    /// <summary>The prefix of the given length that contains <paramref name="address"/> (host bits cleared).</summary>
    public static RoutePrefix Containing(IPAddress address, int length)
    {
        ArgumentNullException.ThrowIfNull(address);
        bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        if (!v6 && address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"'{address}' is neither an IPv4 nor an IPv6 address.", nameof(address));
        }

        CheckLength(length, v6 ? 128 : 32);
        UInt128 key = v6 ? ToIPv6(address) : (UInt128)ToIPv4(address) << 96;
        return new RoutePrefix(key & Mask(length), length, v6);
    }

    /// <summary>
    /// Parses <c>address/length</c> (<c>10.0.0.0/8</c>, <c>2001:db8::/32</c>); a bare address is a host route
    /// (/32 or /128). Host bits must be zero.
    /// </summary>
    /// <exception cref="FormatException">The text is not an address with an optional decimal length.</exception>
    public static RoutePrefix Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out IPAddress? address)
            || address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new FormatException($"'{text}' is not a prefix: '{addressText}' is not an IPv4 or IPv6 address.");
        }

        int max = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        int length = max;
        if (slash >= 0
            && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > max))
        {
            throw new FormatException($"'{text}' is not a prefix: the length must be a number from 0 to {max}.");
        }

        return Create(address, length);
    }

    /// <summary>Whether <paramref name="address"/> (4 or 16 bytes, of this prefix's family) lies inside this prefix.</summary>
    public bool Contains(ReadOnlySpan<byte> address)
    {
        if (address.Length != (_isIPv6 ? 16 : 4))
        {
            return false;
        }

        UInt128 key = _isIPv6
            ? BinaryPrimitives.ReadUInt128BigEndian(address)
            : (UInt128)BinaryPrimitives.ReadUInt32BigEndian(address) << 96;
        return (key & Mask(_length)) == Key;
    }

    /// <summary>The mask of the top <paramref name="length"/> bits of 128.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static UInt128 Mask(int length) => length == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - length);

    /// <summary>A prefix from a left-aligned key that is already masked.</summary>
    internal static RoutePrefix FromKey(UInt128 key, int length, bool isIPv6) => new(key, length, isIPv6);

    /// <inheritdoc />
    public bool Equals(RoutePrefix other) =>
        _high == other._high && _low == other._low && _length == other._length && _isIPv6 == other._isIPv6;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is RoutePrefix other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_high, _low, _length, _isIPv6);

    /// <inheritdoc />
    public override string ToString() => $"{Address}/{_length}";

    /// <summary>Equality.</summary>
    public static bool operator ==(RoutePrefix left, RoutePrefix right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(RoutePrefix left, RoutePrefix right) => !left.Equals(right);

    internal static uint ToIPv4(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    internal static UInt128 ToIPv6(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private static void CheckLength(int length, int max)
    {
        if ((uint)length > (uint)max)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"A prefix length must be between 0 and {max}.");
        }
    }

    private static void CheckHostBits(RoutePrefix prefix, UInt128 address, int length)
    {
        if ((prefix.Key & ~Mask(length)) != UInt128.Zero)
        {
            string family = prefix._isIPv6 ? "IPv6" : "IPv4";
            throw new ArgumentException(
                $"The {family} prefix {prefix.Address}/{length} has host bits set (address {address:X}); use the network address " +
                $"({RoutePrefix.FromKey(prefix.Key & Mask(length), length, prefix._isIPv6)}) or RoutePrefix.Containing.",
                nameof(address));
        }
    }
}
