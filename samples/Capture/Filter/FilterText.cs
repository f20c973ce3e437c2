using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RouterHost.Samples.Capture.Filter;

/// <summary>An IP prefix as the filter matches it: the network's bits and the length, per family.</summary>
/// <param name="IsIPv6">Its family.</param>
/// <param name="Network">The address as a number (IPv4 in the low 32 bits), host bits zero.</param>
/// <param name="Length">The prefix length.</param>
public readonly record struct CapturePrefix(bool IsIPv6, UInt128 Network, int Length)
{
    /// <summary>Whether <paramref name="address"/> (4 or 16 bytes of this family) lies inside.</summary>
    public bool Contains(ReadOnlySpan<byte> address)
    {
        if (address.Length != (IsIPv6 ? 16 : 4))
        {
            return false;
        }

        UInt128 number = IsIPv6 ? BinaryPrimitives.ReadUInt128BigEndian(address) : BinaryPrimitives.ReadUInt32BigEndian(address);
        return (number & Mask(IsIPv6, Length)) == Network;
    }

    /// <summary>The mask of the top <paramref name="length"/> bits of the family's width.</summary>
    public static UInt128 Mask(bool isIPv6, int length)
    {
        int width = isIPv6 ? 128 : 32;
        UInt128 all = isIPv6 ? UInt128.MaxValue : uint.MaxValue;
        return length == 0 ? UInt128.Zero : (all << (width - length)) & all;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        byte[] bytes = new byte[IsIPv6 ? 16 : 4];
        if (IsIPv6)
        {
            BinaryPrimitives.WriteUInt128BigEndian(bytes, Network);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)Network);
        }

        return string.Create(CultureInfo.InvariantCulture, $"{new IPAddress(bytes)}/{Length}");
    }
}

/// <summary>
/// The capture filter's settings text: protocols (<c>tcp</c>, <c>udp</c>, <c>icmp</c>, a number) and prefixes
/// (<c>10.0.0.0/8</c>, <c>2001:db8::/32</c>, a bare address). Each parser returns false with a message saying what is
/// wrong and what is expected; none throws.
/// </summary>
public static class FilterText
{
    /// <summary>The protocol names the filter knows, with their IP protocol numbers.</summary>
    public static IReadOnlyList<(string Name, byte[] Numbers)> ProtocolNames { get; } =
    [
        ("tcp", [6]),
        ("udp", [17]),
        ("icmp", [1, 58]),
        ("icmpv4", [1]),
        ("icmpv6", [58]),
        ("sctp", [132]),
        ("gre", [47]),
        ("esp", [50]),
    ];

    /// <summary>
    /// Parses a protocol: a name of <see cref="ProtocolNames"/> (case-insensitive; <c>icmp</c> is ICMP and ICMPv6) or
    /// an IP protocol number 0-255. Adds its numbers to <paramref name="numbers"/>.
    /// </summary>
    public static bool TryParseProtocol(string? text, ICollection<byte> numbers, out string error)
    {
        string value = (text ?? string.Empty).Trim();
        foreach ((string name, byte[] protocolNumbers) in ProtocolNames)
        {
            if (string.Equals(name, value, StringComparison.OrdinalIgnoreCase))
            {
                foreach (byte number in protocolNumbers)
                {
                    numbers.Add(number);
                }

                error = string.Empty;
                return true;
            }
        }

        if (value.Length is > 0 and <= 3 && IsDigits(value) && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) && parsed <= 255)
        {
            numbers.Add((byte)parsed);
            error = string.Empty;
            return true;
        }

        error = $"must be a protocol name ({string.Join(", ", ProtocolNames.Select(p => p.Name))}) or an IP protocol number 0-255 (got '{text}')";
        return false;
    }

    /// <summary>
    /// Parses a prefix <c>address/length</c> or a bare address (a host: /32 or /128). The address is dotted-quad IPv4
    /// or IPv6 (no zone), the length a decimal number within the family's width, and bits past the length zero.
    /// </summary>
    public static bool TryParsePrefix(string? text, out CapturePrefix prefix, out string error)
    {
        prefix = default;
        string value = (text ?? string.Empty).Trim();
        int slash = value.IndexOf('/', StringComparison.Ordinal);
        string addressText = slash < 0 ? value : value[..slash];
        bool looksIPv6 = addressText.Contains(':', StringComparison.Ordinal);
        if (addressText.Length == 0
            || addressText.Contains('%', StringComparison.Ordinal)
            || (!looksIPv6 && !IsDottedQuad(addressText))
            || !IPAddress.TryParse(addressText, out IPAddress? address)
            || address.AddressFamily != (looksIPv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork))
        {
            error = $"must be an IPv4 or IPv6 prefix like '10.0.0.0/8' or '2001:db8::/32', or an address (got '{text}')";
            return false;
        }

        bool isIPv6 = looksIPv6;
        int width = isIPv6 ? 128 : 32;
        int length = width;
        if (slash >= 0)
        {
            string lengthText = value[(slash + 1)..];
            if (lengthText.Length is 0 or > 3 || !IsDigits(lengthText)
                || !int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > width)
            {
                error = $"has a prefix length that is not a number from 0 to {width} (got '{text}')";
                return false;
            }
        }

        byte[] bytes = address.GetAddressBytes();
        UInt128 number = isIPv6 ? BinaryPrimitives.ReadUInt128BigEndian(bytes) : BinaryPrimitives.ReadUInt32BigEndian(bytes);
        UInt128 network = number & CapturePrefix.Mask(isIPv6, length);
        if (network != number)
        {
            var suggestion = new CapturePrefix(isIPv6, network, length);
            error = $"has bits set past its length; write '{suggestion}' (got '{text}')";
            return false;
        }

        prefix = new CapturePrefix(isIPv6, network, length);
        error = string.Empty;
        return true;
    }

    private static bool IsDigits(string text)
    {
        foreach (char c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    // IPAddress.TryParse takes "10" as 0.0.0.10 and "10.1" as 10.0.0.1; a filter says what it means.
    private static bool IsDottedQuad(string text)
    {
        string[] parts = text.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        foreach (string part in parts)
        {
            if (part.Length is 0 or > 3 || !IsDigits(part) || int.Parse(part, CultureInfo.InvariantCulture) > 255)
            {
                return false;
            }
        }

        return true;
    }
}
