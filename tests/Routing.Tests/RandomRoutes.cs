using System.Buffers.Binary;
using System.Net;
using RouterHost.Abstractions;
using RouterHost.Settings;

namespace RouterHost.Routing.Tests;

/// <summary>Random routes and addresses for the reference tests, seeded so failures reproduce.</summary>
internal sealed class RandomRoutes(int seed, bool ipv6)
{
    private readonly Random _random = new(seed);

    public Random Random => _random;

    public bool IPv6 => ipv6;

    public int AddressLength => ipv6 ? 16 : 4;

    /// <summary>A length like real tables: mostly /16-/24 (v4) or /32-/64 (v6), with every other length present too.</summary>
    public int Length()
    {
        int roll = _random.Next(100);
        if (ipv6)
        {
            return roll switch
            {
                < 60 => 32 + _random.Next(33),
                < 75 => 16 + _random.Next(16),
                < 95 => 65 + _random.Next(64),
                _ => _random.Next(16),
            };
        }

        return roll switch
        {
            < 75 => 16 + _random.Next(9),
            < 85 => 8 + _random.Next(8),
            < 97 => 25 + _random.Next(8),
            _ => _random.Next(8),
        };
    }

    public IpPrefix Prefix(int length)
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        // Cluster half the prefixes under a few top bytes, so that prefixes overlap and nest.
        if (_random.Next(2) == 0)
        {
            bytes[0] = (byte)(ipv6 ? 0x20 : 10);
            bytes[1] = (byte)_random.Next(4);
        }

        return ipv6
            ? IpPrefix.IPv6(BinaryPrimitives.ReadUInt128BigEndian(bytes) & IpPrefix.Mask(length), length)
            : IpPrefix.IPv4(BinaryPrimitives.ReadUInt32BigEndian(bytes) & (uint)(IpPrefix.Mask(length) >> 96), length);
    }

    public Route Route(IpPrefix prefix)
    {
        PortId port = _random.Next(2) == 0 ? PortId.Interface(_random.Next(4)) : PortId.Peer(_random.Next(6));
        IPAddress? gateway = _random.Next(3) switch
        {
            0 => null,
            1 => new IPAddress(new byte[] { 192, 168, 0, (byte)_random.Next(8) }),
            _ => new IPAddress(new byte[] { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte)_random.Next(8) }),
        };
        return new Route(prefix, port, gateway, (uint)_random.Next(3));
    }

    /// <summary>An address: inside a known prefix (often at its first or last address) or anywhere.</summary>
    public byte[] Address(IReadOnlyList<Route> routes)
    {
        byte[] address = new byte[AddressLength];
        _random.NextBytes(address);
        if (routes.Count == 0 || _random.Next(4) == 0)
        {
            return address;
        }

        IpPrefix prefix = routes[_random.Next(routes.Count)].Prefix;
        UInt128 host = ipv6 ? BinaryPrimitives.ReadUInt128BigEndian(PadTo16(address)) : (UInt128)BinaryPrimitives.ReadUInt32BigEndian(address) << 96;
        UInt128 key = prefix.IsIPv6 == ipv6 ? prefix.Key : UInt128.Zero;
        UInt128 mask = IpPrefix.Mask(prefix.Length);
        host = _random.Next(5) switch
        {
            0 => key,
            1 => key | ~mask,
            _ => key | (host & ~mask),
        };

        if (ipv6)
        {
            BinaryPrimitives.WriteUInt128BigEndian(address, host);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(address, (uint)(host >> 96));
        }

        return address;
    }

    private static byte[] PadTo16(byte[] bytes) => bytes.Length == 16 ? bytes : [.. bytes, .. new byte[16 - bytes.Length]];
}
