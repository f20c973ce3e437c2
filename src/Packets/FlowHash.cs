using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace RouterHost.Packets;

/// <summary>
/// A 5-tuple hash (addresses, protocol, ports) for ECMP path and queue selection. Fragments hash on the
/// 3-tuple, because later fragments carry no ports and every fragment of a datagram must take the same path.
/// The symmetric form gives both directions of a flow the same hash (for connection tracking shards).
/// Never 0, which <see cref="RouterHost.Abstractions.Packet.FlowHash"/> reserves for "not computed".
/// </summary>
public static class FlowHash
{
    /// <summary>Hashes the packet starting at its IP header; unparseable packets all hash to the seed's value.</summary>
    public static uint Compute(ReadOnlySpan<byte> ipPacket, bool symmetric = false, uint seed = 0)
    {
        if (!PacketParser.Parse(ipPacket, out PacketLayout layout).IsNone)
        {
            return NonZero(Finalize(Mix(seed, 0)));
        }

        return Compute(ipPacket, layout, symmetric, seed);
    }

    /// <summary>Hashes a packet whose layout is already known.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Compute(ReadOnlySpan<byte> ipPacket, in PacketLayout layout, bool symmetric = false, uint seed = 0) =>
        Compute(ipPacket, layout, layout.IsFragment ? (ushort)0 : layout.SourcePort, layout.IsFragment ? (ushort)0 : layout.DestinationPort, symmetric, seed);

    /// <summary>
    /// The 5-tuple hash, ports included even for a first fragment: for keying flows by their ports (GRO), where the
    /// fragment must land on its flow; equal to <see cref="Compute(ReadOnlySpan{byte}, in PacketLayout, bool, uint)"/>
    /// for every packet that is not a fragment.
    /// </summary>
    internal static uint ComputeWithPorts(ReadOnlySpan<byte> ipPacket, in PacketLayout layout) =>
        Compute(ipPacket, layout, layout.SourcePort, layout.DestinationPort, symmetric: false, seed: 0);

    private static uint Compute(ReadOnlySpan<byte> ipPacket, in PacketLayout layout, ushort sourcePort, ushort destinationPort, bool symmetric, uint seed)
    {
        ReadOnlySpan<byte> source = IpPacket.SourceOf(ipPacket);
        ReadOnlySpan<byte> destination = IpPacket.DestinationOf(ipPacket);
        if (source.IsEmpty)
        {
            return NonZero(Finalize(Mix(seed, 0)));
        }

        int addressLength = source.Length;
        if (symmetric)
        {
            int order = source.SequenceCompareTo(destination);
            if (order > 0 || (order == 0 && sourcePort > destinationPort))
            {
                ReadOnlySpan<byte> swap = source;
                source = destination;
                destination = swap;
                (sourcePort, destinationPort) = (destinationPort, sourcePort);
            }
        }

        uint h = seed ^ (uint)addressLength;
        for (int i = 0; i < addressLength; i += 4)
        {
            h = Mix(h, BinaryPrimitives.ReadUInt32LittleEndian(source[i..]));
        }

        for (int i = 0; i < addressLength; i += 4)
        {
            h = Mix(h, BinaryPrimitives.ReadUInt32LittleEndian(destination[i..]));
        }

        h = Mix(h, ((uint)sourcePort << 16) | destinationPort);
        h = Mix(h, layout.Protocol);
        return NonZero(Finalize(h));
    }

    // MurmurHash3's block mix and finalizer: fast, well distributed, and stable across processes and runs,
    // so every node (and every restart) picks the same ECMP path for a flow.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint Mix(uint h, uint k)
    {
        k *= 0xCC9E2D51;
        k = BitOperations.RotateLeft(k, 15);
        k *= 0x1B873593;
        h ^= k;
        h = BitOperations.RotateLeft(h, 13);
        return (h * 5) + 0xE6546B64;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint Finalize(uint h)
    {
        h ^= h >> 16;
        h *= 0x85EBCA6B;
        h ^= h >> 13;
        h *= 0xC2B2AE35;
        h ^= h >> 16;
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint NonZero(uint h) => h == 0 ? 1 : h;
}
