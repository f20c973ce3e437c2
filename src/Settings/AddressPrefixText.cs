using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RouterHost.Settings;

/// <summary>
/// "address/prefix" as interface addresses and route destinations are written in configuration (<c>10.0.0.1/24</c>,
/// <c>fd00::1/64</c>; no prefix means a host: /32 or /128). Shared by the backends' settings; each decides what it
/// accepts beyond this (a zone, a host part in a route destination).
/// </summary>
public static class AddressPrefixText
{
    /// <summary>
    /// Parses <paramref name="text"/>; false for empty text, an address <see cref="IPAddress.TryParse(string?, out IPAddress?)"/>
    /// refuses, or a prefix that is not a plain number within the family's width. An IPv6 zone (<c>%3</c>) is kept in
    /// the address's <see cref="IPAddress.ScopeId"/>.
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out IPAddress? address, out int prefix)
    {
        address = null;
        prefix = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (!IPAddress.TryParse(slash < 0 ? text : text[..slash], out IPAddress? parsed)
            || parsed.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            return false;
        }

        int max = parsed.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (slash < 0)
        {
            prefix = max;
        }
        else if (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > max)
        {
            prefix = 0;
            return false;
        }

        address = parsed;
        return true;
    }

    /// <summary>The network of <paramref name="address"/>/<paramref name="prefix"/> (host bits cleared; see <see cref="IpPrefix.Containing(IPAddress, int)"/>).</summary>
    public static IPAddress Network(IPAddress address, int prefix) => IpPrefix.Containing(address, prefix).Address;
}
