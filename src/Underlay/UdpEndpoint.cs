using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Underlay;

/// <summary>
/// A UDP address: an IPv4 or IPv6 address, a port and (IPv6) a scope id. A 24-byte value without references, so it
/// can live in arrays indexed per datagram, be compared with three word compares and be hashed or written into a
/// cookie MAC without allocating. IPv4-mapped IPv6 addresses (<c>::ffff:a.b.c.d</c>, what a dual-stack socket
/// reports for IPv4 peers) are normalised to IPv4, so one peer has one endpoint whichever socket saw it.
/// <c>default</c> is <see cref="None"/>.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct UdpEndpoint : IEquatable<UdpEndpoint>
{
    private const byte FamilyNone = 0;
    private const byte FamilyV4 = 4;
    private const byte FamilyV6 = 6;

    // The 16 address bytes in network order (IPv4 as ::ffff:a.b.c.d), read as two machine words.
    private readonly ulong _address0;
    private readonly ulong _address1;
    private readonly uint _scopeId;
    private readonly ushort _port;
    private readonly byte _family;

    private UdpEndpoint(ReadOnlySpan<byte> address16, ushort port, uint scopeId, byte family)
    {
        _address0 = MemoryMarshal.Read<ulong>(address16);
        _address1 = MemoryMarshal.Read<ulong>(address16[8..]);
        _port = port;
        _scopeId = family == FamilyV6 ? scopeId : 0;
        _family = family;
    }

    /// <summary>No endpoint (for a source: let the kernel choose).</summary>
    public static UdpEndpoint None => default;

    /// <summary>Whether this is <see cref="None"/>.</summary>
    public bool IsNone => _family == FamilyNone;

    /// <summary>Whether the address is IPv6 (never an IPv4-mapped one: those are IPv4).</summary>
    public bool IsIPv6 => _family == FamilyV6;

    /// <summary>Whether the address is IPv4.</summary>
    public bool IsIPv4 => _family == FamilyV4;

    /// <summary>The port, in host byte order.</summary>
    public ushort Port => _port;

    /// <summary>The IPv6 scope id (an interface index, for link-local addresses); 0 for IPv4.</summary>
    public uint ScopeId => _scopeId;

    /// <summary>
    /// The endpoint for <paramref name="address"/> and <paramref name="port"/>; an IPv4-mapped IPv6 address becomes
    /// IPv4 (and loses its scope id). Throws for an address that is neither IPv4 nor IPv6.
    /// </summary>
    public static UdpEndpoint Create(IPAddress address, ushort port)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"{address} is neither an IPv4 nor an IPv6 address.", nameof(address));
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int written);
        return written == 4
            ? Create(bytes[..4], port)
            : Create(bytes, port, (uint)address.ScopeId);
    }

    /// <summary>The endpoint for an <see cref="IPEndPoint"/> (see <see cref="Create(IPAddress, ushort)"/>).</summary>
    public static UdpEndpoint Create(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return Create(endpoint.Address, (ushort)endpoint.Port);
    }

    /// <summary>
    /// The endpoint for a raw address of 4 (IPv4) or 16 (IPv6) bytes in network order; an IPv4-mapped IPv6 address
    /// becomes IPv4 and <paramref name="scopeId"/> only applies to IPv6. Throws for any other length.
    /// </summary>
    public static UdpEndpoint Create(ReadOnlySpan<byte> address, ushort port, uint scopeId = 0)
    {
        if (address.Length == 16)
        {
            return FromAddress16(address, port, scopeId);
        }

        if (address.Length != 4)
        {
            throw new ArgumentException($"An IP address has 4 or 16 bytes, not {address.Length}.", nameof(address));
        }

        Span<byte> mapped = stackalloc byte[16];
        MapIPv4(address, mapped);
        return new UdpEndpoint(mapped, port, 0, FamilyV4);
    }

    /// <summary>The endpoint a <c>sockaddr_in</c> names (an <c>AF_INET</c> one; anything else is <see cref="None"/>).</summary>
    public static UdpEndpoint FromSockaddr(in sockaddr_in address)
    {
        if (address.sin_family != AF_INET)
        {
            return None;
        }

        return FromIPv4Bits(address.sin_addr.s_addr, NetworkToHost(address.sin_port));
    }

    /// <summary>
    /// The endpoint a <c>sockaddr_in6</c> names (an <c>AF_INET6</c> one; anything else is <see cref="None"/>); a
    /// v4-mapped address becomes IPv4.
    /// </summary>
    public static UdpEndpoint FromSockaddr(in sockaddr_in6 address)
    {
        if (address.sin6_family != AF_INET6)
        {
            return None;
        }

        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(new ReadOnlySpan<in6_addr>(in address.sin6_addr));
        return FromAddress16(bytes, NetworkToHost(address.sin6_port), address.sin6_scope_id);
    }

    /// <summary>This IPv4 endpoint as a <c>sockaddr_in</c>; throws for IPv6 and <see cref="None"/>.</summary>
    public sockaddr_in ToSockaddrIn()
    {
        if (_family != FamilyV4)
        {
            throw new InvalidOperationException($"{this} is not an IPv4 endpoint.");
        }

        return new sockaddr_in { sin_family = AF_INET, sin_port = HostToNetwork(_port), sin_addr = new in_addr { s_addr = IPv4Bits } };
    }

    /// <summary>
    /// This endpoint as a <c>sockaddr_in6</c>: IPv4 as a v4-mapped address (what a dual-stack socket sends to).
    /// Throws for <see cref="None"/>.
    /// </summary>
    public sockaddr_in6 ToSockaddrIn6()
    {
        if (_family == FamilyNone)
        {
            throw new InvalidOperationException("The endpoint is None.");
        }

        var result = new sockaddr_in6 { sin6_family = AF_INET6, sin6_port = HostToNetwork(_port), sin6_scope_id = _scopeId };
        WriteAddress16(MemoryMarshal.AsBytes(new Span<in6_addr>(ref result.sin6_addr)));
        return result;
    }

    /// <summary>
    /// Writes the address bytes in network order (4 for IPv4, 16 for IPv6) for hashing and cookies; returns how many
    /// (0 for <see cref="None"/>). Throws when <paramref name="destination"/> is too short (16 bytes always suffice).
    /// </summary>
    public int WriteAddress(Span<byte> destination)
    {
        switch (_family)
        {
            case FamilyV4:
                uint bits = IPv4Bits;
                MemoryMarshal.AsBytes(new ReadOnlySpan<uint>(in bits)).CopyTo(destination[..4]);
                return 4;
            case FamilyV6:
                WriteAddress16(destination[..16]);
                return 16;
            default:
                return 0;
        }
    }

    /// <summary>The endpoint as an <see cref="IPEndPoint"/> (allocates; not for the data path). Throws for <see cref="None"/>.</summary>
    public IPEndPoint ToIPEndPoint()
    {
        if (_family == FamilyNone)
        {
            throw new InvalidOperationException("The endpoint is None.");
        }

        Span<byte> bytes = stackalloc byte[16];
        int length = WriteAddress(bytes);
        var address = length == 4 ? new IPAddress(bytes[..4]) : new IPAddress(bytes, _scopeId);
        return new IPEndPoint(address, _port);
    }

    /// <summary>
    /// Parses <c>a.b.c.d:port</c> or <c>[ipv6]:port</c> (a scope after <c>%</c> inside the brackets). IPv4 must be four
    /// decimal numbers without leading zeros; IPv6 must be in brackets; host names are not resolved (the caller does
    /// that). On failure <paramref name="problem"/> says what is wrong, phrased to follow a configuration key.
    /// Never throws.
    /// </summary>
    public static bool TryParse(string? text, out UdpEndpoint endpoint, out string? problem) =>
        TryParse(text.AsSpan(), out endpoint, out problem);

    /// <inheritdoc cref="TryParse(string?, out UdpEndpoint, out string?)"/>
    public static bool TryParse(ReadOnlySpan<char> text, out UdpEndpoint endpoint, out string? problem)
    {
        endpoint = default;
        if (text.IsEmpty)
        {
            problem = "is empty (expected address:port, e.g. 192.0.2.1:51820 or [2001:db8::1]:51820)";
            return false;
        }

        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                problem = $"'{Printable(text)}' contains whitespace or control characters";
                return false;
            }
        }

        ReadOnlySpan<char> host;
        ReadOnlySpan<char> portText;
        bool bracketed = text[0] == '[';
        if (bracketed)
        {
            int close = text.IndexOf(']');
            if (close < 0)
            {
                problem = $"'{Printable(text)}' opens '[' without closing it";
                return false;
            }

            host = text[1..close];
            ReadOnlySpan<char> rest = text[(close + 1)..];
            if (rest.Length == 0 || rest[0] != ':')
            {
                problem = $"'{Printable(text)}' needs ':port' after the bracketed address (e.g. [2001:db8::1]:51820)";
                return false;
            }

            portText = rest[1..];
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon < 0)
            {
                problem = $"'{Printable(text)}' has no port (expected address:port, e.g. 192.0.2.1:51820)";
                return false;
            }

            host = text[..colon];
            portText = text[(colon + 1)..];
            if (host.Contains(':'))
            {
                problem = $"'{Printable(text)}': an IPv6 address must be in brackets, e.g. [2001:db8::1]:51820";
                return false;
            }
        }

        if (!TryParsePort(portText, out ushort port))
        {
            problem = $"'{Printable(text)}' has port '{Printable(portText)}', which is not a number from 0 to 65535";
            return false;
        }

        if (bracketed)
        {
            if (!host.Contains(':') || !IPAddress.TryParse(host, out IPAddress? v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                problem = $"'{Printable(host)}' is not an IPv6 address (brackets are only for IPv6)";
                return false;
            }

            endpoint = Create(v6, port);
            problem = null;
            return true;
        }

        Span<byte> v4 = stackalloc byte[4];
        if (!TryParseIPv4(host, v4))
        {
            problem = LooksLikeHostName(host)
                ? $"'{Printable(host)}' is not an IP address (host names must be resolved before they get here)"
                : $"'{Printable(host)}' is not an IPv4 address (four decimal numbers from 0 to 255, without leading zeros)";
            return false;
        }

        endpoint = Create(v4, port);
        problem = null;
        return true;
    }

    /// <summary><c>a.b.c.d:port</c>, <c>[ipv6%scope]:port</c>, or <c>none</c>.</summary>
    public override string ToString()
    {
        if (_family == FamilyNone)
        {
            return "none";
        }

        Span<byte> bytes = stackalloc byte[16];
        int length = WriteAddress(bytes);
        return length == 4
            ? $"{new IPAddress(bytes[..4])}:{_port}"
            : $"[{new IPAddress(bytes, _scopeId)}]:{_port}";
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Equals(UdpEndpoint other) =>
        _address0 == other._address0 && _address1 == other._address1
        && _port == other._port && _family == other._family && _scopeId == other._scopeId;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is UdpEndpoint other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_address0, _address1, _scopeId, _port, _family);

    /// <summary>Equality.</summary>
    public static bool operator ==(UdpEndpoint left, UdpEndpoint right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(UdpEndpoint left, UdpEndpoint right) => !left.Equals(right);

    /// <summary>The IPv4 address as <c>s_addr</c> (network byte order, as it lies in memory).</summary>
    internal uint IPv4Bits => (uint)(BitConverter.IsLittleEndian ? _address1 >> 32 : _address1);

    /// <summary>
    /// The endpoint from 16 network-order address bytes: v4-mapped becomes IPv4. The data path's decoder for
    /// <c>sockaddr_in6</c> and <c>in6_pktinfo</c>.
    /// </summary>
    internal static UdpEndpoint FromAddress16(ReadOnlySpan<byte> address16, ushort port, uint scopeId)
    {
        bool mapped = MemoryMarshal.Read<ulong>(address16) == 0
            && MemoryMarshal.Read<ushort>(address16[8..]) == 0
            && address16[10] == 0xff && address16[11] == 0xff;
        return new UdpEndpoint(address16, port, scopeId, mapped ? FamilyV4 : FamilyV6);
    }

    /// <summary>The endpoint from an <c>s_addr</c> (network order as in memory) and a host-order port.</summary>
    internal static UdpEndpoint FromIPv4Bits(uint sAddr, ushort port)
    {
        Span<byte> mapped = stackalloc byte[16];
        MapIPv4(MemoryMarshal.AsBytes(new ReadOnlySpan<uint>(in sAddr)), mapped);
        return new UdpEndpoint(mapped, port, 0, FamilyV4);
    }

    /// <summary>
    /// Reads a socket address the kernel wrote (<c>sockaddr_in</c> or <c>sockaddr_in6</c>, told apart by the family
    /// and checked against the span's length). False for anything else.
    /// </summary>
    internal static bool TryReadSockaddr(ReadOnlySpan<byte> address, out UdpEndpoint endpoint)
    {
        endpoint = default;
        if (address.Length < sizeof(ushort))
        {
            return false;
        }

        ushort family = MemoryMarshal.Read<ushort>(address);
        if (family == AF_INET && address.Length >= 8)
        {
            endpoint = FromIPv4Bits(MemoryMarshal.Read<uint>(address[4..]), NetworkToHost(MemoryMarshal.Read<ushort>(address[2..])));
            return true;
        }

        if (family == AF_INET6 && address.Length >= 24)
        {
            uint scope = address.Length >= 28 ? MemoryMarshal.Read<uint>(address[24..]) : 0;
            endpoint = FromAddress16(address.Slice(8, 16), NetworkToHost(MemoryMarshal.Read<ushort>(address[2..])), scope);
            return true;
        }

        return false;
    }

    /// <summary>
    /// Writes this endpoint as the socket address a socket of the given family sends to: <c>sockaddr_in6</c> (IPv4
    /// v4-mapped) for an IPv6 socket, <c>sockaddr_in</c> for an IPv4 one (an IPv6 endpoint is written as
    /// <c>sockaddr_in6</c> all the same, for the kernel to refuse). Returns the length; the destination must have 28
    /// bytes.
    /// </summary>
    internal int WriteSockaddr(Span<byte> destination, bool ipv6Socket)
    {
        if (ipv6Socket || _family == FamilyV6)
        {
            sockaddr_in6 a6 = default;
            a6.sin6_family = (ushort)(_family == FamilyNone ? AF_UNSPEC : AF_INET6);
            a6.sin6_port = HostToNetwork(_port);
            a6.sin6_scope_id = _scopeId;
            WriteAddress16(MemoryMarshal.AsBytes(new Span<in6_addr>(ref a6.sin6_addr)));
            MemoryMarshal.Write(destination, in a6);
            return Unsafe.SizeOf<sockaddr_in6>();
        }

        sockaddr_in a4 = default;
        a4.sin_family = (ushort)(_family == FamilyNone ? AF_UNSPEC : AF_INET);
        a4.sin_port = HostToNetwork(_port);
        a4.sin_addr.s_addr = IPv4Bits;
        MemoryMarshal.Write(destination, in a4);
        return Unsafe.SizeOf<sockaddr_in>();
    }

    /// <summary>Writes the 16 network-order address bytes (IPv4 v4-mapped).</summary>
    internal void WriteAddress16(Span<byte> destination)
    {
        MemoryMarshal.Write(destination, in _address0);
        MemoryMarshal.Write(destination[8..], in _address1);
    }

    /// <summary>Whether the address needs a scope id to be sent from or to (link-local unicast, fe80::/10).</summary>
    internal static bool IsLinkLocal(ReadOnlySpan<byte> address16) => address16[0] == 0xfe && (address16[1] & 0xc0) == 0x80;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ushort HostToNetwork(ushort value) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ushort NetworkToHost(ushort value) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;

    private static void MapIPv4(ReadOnlySpan<byte> v4, Span<byte> mapped16)
    {
        mapped16[..10].Clear();
        mapped16[10] = 0xff;
        mapped16[11] = 0xff;
        v4.CopyTo(mapped16[12..]);
    }

    private static bool TryParsePort(ReadOnlySpan<char> text, out ushort port)
    {
        port = 0;
        if (text.IsEmpty || text.Length > 5)
        {
            return false;
        }

        int value = 0;
        foreach (char c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        if (value > ushort.MaxValue)
        {
            return false;
        }

        port = (ushort)value;
        return true;
    }

    // Strict dotted quad: IPAddress.Parse also takes inet_aton's forms ("1", "1.2", "0x7f.1", octal "010.0.0.1"),
    // which nobody writes on purpose in an endpoint and which read differently to different tools.
    private static bool TryParseIPv4(ReadOnlySpan<char> text, Span<byte> address)
    {
        int part = 0;
        int value = 0;
        int digits = 0;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == '.')
            {
                if (digits == 0 || part > 3)
                {
                    return false;
                }

                address[part++] = (byte)value;
                value = 0;
                digits = 0;
                continue;
            }

            char c = text[i];
            if (c is < '0' or > '9' || (digits == 1 && value == 0))
            {
                return false;
            }

            value = (value * 10) + (c - '0');
            if (++digits > 3 || value > 255)
            {
                return false;
            }
        }

        return part == 4;
    }

    private static bool LooksLikeHostName(ReadOnlySpan<char> host)
    {
        foreach (char c in host)
        {
            if (char.IsAsciiLetter(c) || c == '-')
            {
                return true;
            }
        }

        return false;
    }

    // Problems quote the input; keep them one short line whatever was given.
    private static string Printable(ReadOnlySpan<char> text)
    {
        const int Limit = 80;
        ReadOnlySpan<char> shown = text.Length > Limit ? text[..Limit] : text;
        Span<char> buffer = stackalloc char[shown.Length];
        for (int i = 0; i < shown.Length; i++)
        {
            char c = shown[i];
            buffer[i] = char.IsControl(c) || char.IsSurrogate(c) ? '?' : c;
        }

        return text.Length > Limit ? string.Concat(buffer, "…") : new string(buffer);
    }
}
