using System.Buffers.Binary;
using RouterHost.Packets;

namespace RouterHost.Samples.AfPacket.Tests;

/// <summary>Hand-built frames and packets for the tests.</summary>
internal static class Frames
{
    public const ulong RouterMac = 0x02_00_00_00_00_01;
    public const ulong HostMac = 0x02_00_00_00_00_02;

    /// <summary>An IPv4 packet of <paramref name="length"/> bytes with protocol <paramref name="protocol"/> (TCP header at 20 when TCP).</summary>
    public static byte[] Ipv4(int length, byte protocol = IpProtocol.Tcp, uint source = 0x0A010002, uint destination = 0x0A020002)
    {
        var ip = new byte[length];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)length);
        ip[8] = 64;
        ip[9] = protocol;
        BinaryPrimitives.WriteUInt32BigEndian(ip.AsSpan(12), source);
        BinaryPrimitives.WriteUInt32BigEndian(ip.AsSpan(16), destination);
        if (protocol == IpProtocol.Tcp && length >= 40)
        {
            ip[32] = 0x50; // data offset 5
        }

        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(10), InternetChecksum.Compute(ip.AsSpan(0, 20)));
        return ip;
    }

    /// <summary>An IPv6 packet of <paramref name="length"/> bytes.</summary>
    public static byte[] Ipv6(int length, byte nextHeader = IpProtocol.Tcp)
    {
        var ip = new byte[length];
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), (ushort)(length - 40));
        ip[6] = nextHeader;
        ip[7] = 64;
        ip[8] = 0xFD;
        ip[24] = 0xFD;
        ip[39] = 2;
        if (nextHeader == IpProtocol.Tcp && length >= 60)
        {
            ip[52] = 0x50;
        }

        return ip;
    }

    /// <summary>An Ethernet frame carrying <paramref name="payload"/>, padded with <paramref name="padding"/> bytes.</summary>
    public static byte[] Frame(ushort type, byte[] payload, int padding = 0)
    {
        var frame = new byte[Ethernet.HeaderLength + payload.Length + padding];
        Ethernet.WriteHeader(frame, RouterMac, HostMac, type);
        payload.CopyTo(frame, Ethernet.HeaderLength);
        return frame;
    }

    /// <summary>A virtio-net header as the kernel writes it (csum_start counted from the Ethernet header).</summary>
    public static byte[] Vnet(byte flags = 0, byte gsoType = 0, ushort gsoSize = 0, ushort checksumStart = 0, ushort checksumOffset = 0)
    {
        var vnet = new byte[VirtioNetHeader.Length];
        new VirtioNetHeader(flags, gsoType, 0, gsoSize, checksumStart, checksumOffset).TryWrite(vnet);
        return vnet;
    }
}
