using System.Net;
using System.Net.Sockets;

namespace RouterHost.Abstractions;

/// <summary>
/// An address on an interface with its prefix length, as in <c>10.1.0.1/24</c>: the address itself and, through the
/// prefix, the network the interface is directly connected to.
/// </summary>
public readonly record struct InterfaceAddress
{
    /// <summary>Creates the address; throws when the prefix length does not fit the family (0–32, 0–128).</summary>
    public InterfaceAddress(IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"'{address}' is not an IPv4 or IPv6 address.", nameof(address));
        }

        int max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, max);
        Address = address;
        PrefixLength = prefixLength;
    }

    /// <summary>The address.</summary>
    public IPAddress Address { get; }

    /// <summary>The length of the connected prefix in bits.</summary>
    public int PrefixLength { get; }

    /// <summary>Whether this is an IPv6 address.</summary>
    public bool IsIPv6 => Address.AddressFamily == AddressFamily.InterNetworkV6;

    /// <inheritdoc />
    public override string ToString() => $"{Address}/{PrefixLength}";
}
