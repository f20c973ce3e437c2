using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RouterHost.Firewall;

/// <summary>
/// An IPv4 or IPv6 prefix. Addresses are numbers (<see cref="UInt128"/>, IPv4 in the low 32 bits) so a prefix
/// is the inclusive range <see cref="First"/>..<see cref="Last"/> of its family.
/// </summary>
public readonly struct IpPrefix : IEquatable<IpPrefix>
{
    /// <summary>Creates a prefix; host bits of <paramref name="address"/> are cleared.</summary>
    public IpPrefix(bool isIPv6, UInt128 address, int length)
    {
        int bits = isIPv6 ? 128 : 32;
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, bits);
        if (!isIPv6 && address > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(address), "An IPv4 address must fit in 32 bits.");
        }

        UInt128 hostMask = length == bits ? UInt128.Zero : (bits == 128 && length == 0 ? UInt128.MaxValue : (UInt128.One << (bits - length)) - 1);
        IsIPv6 = isIPv6;
        Length = length;
        First = address & ~hostMask;
        Last = First | hostMask;
    }

    /// <summary>Whether this is an IPv6 prefix.</summary>
    public bool IsIPv6 { get; }

    /// <summary>The prefix length in bits.</summary>
    public int Length { get; }

    /// <summary>The lowest address in the prefix.</summary>
    public UInt128 First { get; }

    /// <summary>The highest address in the prefix.</summary>
    public UInt128 Last { get; }

    /// <summary>Every IPv4 address.</summary>
    public static IpPrefix AnyIPv4 => new(false, 0, 0);

    /// <summary>Every IPv6 address.</summary>
    public static IpPrefix AnyIPv6 => new(true, 0, 0);

    /// <summary>Whether the address (of the given family) lies in the prefix.</summary>
    public bool Contains(bool isIPv6, UInt128 address) => isIPv6 == IsIPv6 && address >= First && address <= Last;

    /// <summary>Parses <c>10.0.0.0/8</c>, <c>2001:db8::/32</c>, or a bare address (a host prefix).</summary>
    public static IpPrefix Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out IPAddress? address))
        {
            throw new FormatException($"'{text}' is not an IP prefix: '{addressText}' is not an address.");
        }

        bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        int bits = v6 ? 128 : 32;
        int length = bits;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > bits))
        {
            throw new FormatException($"'{text}' is not an IP prefix: the length must be 0..{bits}.");
        }

        byte[] bytes = address.GetAddressBytes();
        UInt128 value = 0;
        foreach (byte b in bytes)
        {
            value = (value << 8) | b;
        }

        return new IpPrefix(v6, value, length);
    }

    /// <inheritdoc />
    public bool Equals(IpPrefix other) => IsIPv6 == other.IsIPv6 && Length == other.Length && First == other.First;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is IpPrefix other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(IsIPv6, Length, First);

    /// <summary>Equality.</summary>
    public static bool operator ==(IpPrefix left, IpPrefix right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(IpPrefix left, IpPrefix right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString()
    {
        byte[] bytes = new byte[IsIPv6 ? 16 : 4];
        UInt128 value = First;
        for (int i = bytes.Length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)value;
            value >>= 8;
        }

        return $"{new IPAddress(bytes)}/{Length}";
    }
}
