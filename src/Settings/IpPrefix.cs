using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace RouterHost.Settings;

/// <summary>
/// An IPv4 or IPv6 prefix: an address and a length, the one prefix type of routes, allowed prefixes, firewall rules
/// and on-link checks. Held as numbers, so matching allocates nothing: <see cref="Key"/> is the address left-aligned
/// in 128 bits (what the routing trie walks), <see cref="First"/>..<see cref="Last"/> the range of addresses as
/// numbers of the family (IPv4 in the low 32 bits, what the firewall's interval tables hold).
/// <para>
/// <see cref="Create(IPAddress, int)"/>, <see cref="IPv4"/>, <see cref="IPv6"/> and <see cref="Parse"/> refuse host
/// bits (address bits past the length): <c>10.1.2.3/8</c> is usually a typo for a host route or a mask, as
/// <c>ip route</c> and <see cref="IPNetwork"/> also say. <see cref="Containing(IPAddress, int)"/> and
/// <see cref="ParseContaining"/> ask for the prefix that contains an address (an interface's subnet; a firewall match).
/// Text is read by <see cref="AddressPrefixText"/>, as every other "address/length" in configuration.
/// </para>
/// </summary>
public readonly struct IpPrefix : IEquatable<IpPrefix>
{
    private readonly ulong _high;
    private readonly ulong _low;
    private readonly byte _length;
    private readonly bool _isIPv6;

    private IpPrefix(UInt128 key, int length, bool isIPv6)
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

    /// <summary>The network address left-aligned in 128 bits (an IPv4 address in the top 32), so both families share trie code.</summary>
    public UInt128 Key => new(_high, _low);

    /// <summary>The lowest address as a number of its family (IPv4 in the low 32 bits).</summary>
    public UInt128 First => _isIPv6 ? Key : Key >> 96;

    /// <summary>The highest address as a number of its family (IPv4 in the low 32 bits).</summary>
    public UInt128 Last => First | (~Mask(_length) >> (_isIPv6 ? 0 : 96));

    /// <summary>Every IPv4 address (0.0.0.0/0).</summary>
    public static IpPrefix AnyIPv4 => new(UInt128.Zero, 0, isIPv6: false);

    /// <summary>Every IPv6 address (::/0).</summary>
    public static IpPrefix AnyIPv6 => new(UInt128.Zero, 0, isIPv6: true);

    /// <summary>An IPv4 prefix; <paramref name="address"/> in host order (<c>0x0A000000</c> is 10.0.0.0).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The length is not 0..32.</exception>
    /// <exception cref="ArgumentException">The address has bits set past the length.</exception>
    public static IpPrefix IPv4(uint address, int length) => Checked(false, address, length);

    /// <summary>An IPv6 prefix; <paramref name="address"/> is the 16 address bytes read big-endian.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The length is not 0..128.</exception>
    /// <exception cref="ArgumentException">The address has bits set past the length.</exception>
    public static IpPrefix IPv6(UInt128 address, int length) => Checked(true, address, length);

    /// <summary>A prefix of either family from an address and a length; host bits must be zero.</summary>
    public static IpPrefix Create(IPAddress address, int length) => Checked(IsIPv6Address(address), ToNumber(address), length);

    /// <summary>The prefix of the given length that contains <paramref name="address"/> (host bits cleared).</summary>
    public static IpPrefix Containing(IPAddress address, int length) => Containing(IsIPv6Address(address), ToNumber(address), length);

    /// <summary>
    /// The prefix of the given length that contains the address <paramref name="number"/> of the family (IPv4 in the
    /// low 32 bits; host bits cleared).
    /// </summary>
    public static IpPrefix Containing(bool isIPv6, UInt128 number, int length)
    {
        int max = isIPv6 ? 128 : 32;
        CheckLength(length, max);
        if (!isIPv6 && number > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(number), "An IPv4 address must fit in 32 bits.");
        }

        return new IpPrefix((number << (128 - max)) & Mask(length), length, isIPv6);
    }

    /// <summary>
    /// Parses <c>address/length</c> (<c>10.0.0.0/8</c>, <c>2001:db8::/32</c>); a bare address is a host prefix
    /// (/32 or /128). Host bits must be zero.
    /// </summary>
    /// <exception cref="FormatException">The text is not an address with an optional decimal length.</exception>
    /// <exception cref="ArgumentException">The address has bits set past the length.</exception>
    public static IpPrefix Parse(string text) => Create(ParseText(text, out int length), length);

    /// <summary>As <see cref="Parse"/>, but host bits are cleared: <c>10.1.2.3/8</c> is 10.0.0.0/8.</summary>
    /// <exception cref="FormatException">The text is not an address with an optional decimal length.</exception>
    public static IpPrefix ParseContaining(string text) => Containing(ParseText(text, out int length), length);

    /// <summary>
    /// The prefix <paramref name="network"/> names (an <see cref="IPNetwork"/> never has host bits; a default one is
    /// 0.0.0.0/0), as the plugin contract hands prefixes over (<c>PortInfo.Prefixes</c>); converted once when tables
    /// are built, never per packet.
    /// </summary>
    public static IpPrefix FromNetwork(IPNetwork network) => Create(network.BaseAddress, network.PrefixLength);

    /// <summary>This prefix as an <see cref="IPNetwork"/>, the type the plugin contract hands prefixes over in.</summary>
    public IPNetwork ToNetwork() => new(Address, _length);

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

    /// <summary>Whether the address <paramref name="number"/> of the given family (IPv4 in the low 32 bits) lies inside this prefix.</summary>
    public bool Contains(bool isIPv6, UInt128 number) => isIPv6 == _isIPv6 && number >= First && number <= Last;

    /// <summary>The mask of the top <paramref name="length"/> bits of 128.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static UInt128 Mask(int length) => length == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - length);

    /// <summary>A prefix from a left-aligned <paramref name="key"/> that is already masked to <paramref name="length"/>.</summary>
    public static IpPrefix FromKey(UInt128 key, int length, bool isIPv6) => new(key, length, isIPv6);

    /// <summary>An IPv4 or IPv6 address as a number of its family (IPv4 in the low 32 bits, IPv6 read big-endian).</summary>
    /// <exception cref="ArgumentException">The address is of neither family.</exception>
    public static UInt128 ToNumber(IPAddress address)
    {
        bool v6 = IsIPv6Address(address);
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return v6 ? BinaryPrimitives.ReadUInt128BigEndian(bytes) : BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    /// <inheritdoc />
    public bool Equals(IpPrefix other) =>
        _high == other._high && _low == other._low && _length == other._length && _isIPv6 == other._isIPv6;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is IpPrefix other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_high, _low, _length, _isIPv6);

    /// <inheritdoc />
    public override string ToString() => $"{Address}/{_length}";

    /// <summary>Equality.</summary>
    public static bool operator ==(IpPrefix left, IpPrefix right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(IpPrefix left, IpPrefix right) => !left.Equals(right);

    private static IpPrefix Checked(bool isIPv6, UInt128 number, int length)
    {
        IpPrefix prefix = Containing(isIPv6, number, length);
        if (prefix.First != number)
        {
            string family = isIPv6 ? "IPv6" : "IPv4";
            throw new ArgumentException(
                $"The {family} prefix {FromKey(number << (isIPv6 ? 0 : 96), length, isIPv6).Address}/{length} has host bits set; " +
                $"use the network address ({prefix}), or the address itself as a host prefix (/{(isIPv6 ? 128 : 32)}).",
                nameof(number));
        }

        return prefix;
    }

    private static IPAddress ParseText(string text, out int length)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!AddressPrefixText.TryParse(text, out IPAddress? address, out length))
        {
            throw new FormatException(
                $"'{text}' is not a prefix: write an IPv4 or IPv6 address with an optional length, like 10.0.0.0/8 or " +
                "2001:db8::/32 (the length is 0 to 32 for IPv4, 0 to 128 for IPv6; no length means one address).");
        }

        return address;
    }

    private static bool IsIPv6Address(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => false,
            AddressFamily.InterNetworkV6 => true,
            _ => throw new ArgumentException($"'{address}' is neither an IPv4 nor an IPv6 address.", nameof(address)),
        };
    }

    private static void CheckLength(int length, int max)
    {
        if ((uint)length > (uint)max)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"A prefix length must be between 0 and {max}.");
        }
    }
}
