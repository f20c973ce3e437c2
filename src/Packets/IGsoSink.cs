using RouterHost.Abstractions;

namespace RouterHost.Packets;

/// <summary>
/// Where <see cref="GroCoalescer"/> delivers its output: superpackets as a header prefix plus borrowed payload
/// fragments, and packets it could not merge as they came. A TUN backend implements it over its own vectored write
/// (one <c>writev</c> per superpacket); the vectored write is the backend's own, not part of the plugin contract.
/// </summary>
public interface IGsoSink
{
    /// <summary>Writes a packet unchanged.</summary>
    DropReason Write(in Packet packet);

    /// <summary>
    /// Writes one superpacket: <paramref name="header"/> holds the IP and L4 headers with lengths set and the
    /// L4 checksum field holding the folded, non-inverted pseudo-header sum; the fragments' concatenation is
    /// the payload. Both are valid only during the call.
    /// </summary>
    DropReason WriteGso(Span<byte> header, ReadOnlySpan<ReadOnlyMemory<byte>> payloads, in GsoInfo gso);
}
