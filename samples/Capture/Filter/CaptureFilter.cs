namespace RouterHost.Samples.Capture.Filter;

/// <summary>
/// Which packets the capture keeps: every condition given must hold (an empty list is no condition) — one of
/// <see cref="Ports"/> is the packet's ingress or egress, its source or destination lies in one of the prefixes, its
/// protocol (IPv6: after extension headers) is one of the protocols. A packet that is not IPv4 or IPv6 passes only
/// when no prefix or protocol is asked for. Matching allocates nothing and never throws. Immutable.
/// </summary>
public sealed class CaptureFilter
{
    private readonly uint[] _ports;
    private readonly CapturePrefix[] _prefixes;
    private readonly ulong[] _protocols = new ulong[4];
    private readonly bool _anyProtocol;

    /// <summary>Creates a filter.</summary>
    /// <param name="ports">Port ids (their encoded values) of which the ingress or the egress must be one.</param>
    /// <param name="prefixes">Prefixes of which one must hold the source or the destination.</param>
    /// <param name="protocols">IP protocol numbers of which the packet's must be one.</param>
    public CaptureFilter(IEnumerable<uint> ports, IEnumerable<CapturePrefix> prefixes, IEnumerable<byte> protocols)
    {
        _ports = [.. ports];
        _prefixes = [.. prefixes];
        _anyProtocol = true;
        foreach (byte protocol in protocols)
        {
            _protocols[protocol >> 6] |= 1UL << (protocol & 63);
            _anyProtocol = false;
        }
    }

    /// <summary>A filter that keeps everything.</summary>
    public static CaptureFilter All { get; } = new([], [], []);

    /// <summary>The ports asked for.</summary>
    public IReadOnlyList<uint> Ports => _ports;

    /// <summary>Whether the filter keeps a packet with these bytes, ingress and egress.</summary>
    public bool Matches(ReadOnlySpan<byte> packet, uint ingress, uint egress)
    {
        if (_ports.Length > 0 && Array.IndexOf(_ports, ingress) < 0 && Array.IndexOf(_ports, egress) < 0)
        {
            return false;
        }

        if (_prefixes.Length == 0 && _anyProtocol)
        {
            return true;
        }

        if (!TryParse(packet, out ReadOnlySpan<byte> source, out ReadOnlySpan<byte> destination, out byte protocol))
        {
            return false;
        }

        if (!_anyProtocol && (_protocols[protocol >> 6] & (1UL << (protocol & 63))) == 0)
        {
            return false;
        }

        if (_prefixes.Length == 0)
        {
            return true;
        }

        foreach (CapturePrefix prefix in _prefixes)
        {
            if (prefix.Contains(source) || prefix.Contains(destination))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Reads an IP packet's addresses and upper-layer protocol. IPv6 extension headers (hop-by-hop, routing, fragment,
    /// destination options, authentication) are skipped while they lie inside the packet; a chain cut short reports the
    /// last next-header seen. False when the packet is not IPv4 or IPv6 or shorter than its fixed header.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out ReadOnlySpan<byte> source, out ReadOnlySpan<byte> destination, out byte protocol)
    {
        source = default;
        destination = default;
        protocol = 0;
        if (packet.IsEmpty)
        {
            return false;
        }

        switch (packet[0] >> 4)
        {
            case 4 when packet.Length >= 20 && (packet[0] & 0xF) >= 5:
                protocol = packet[9];
                source = packet.Slice(12, 4);
                destination = packet.Slice(16, 4);
                return true;

            case 6 when packet.Length >= 40:
                source = packet.Slice(8, 16);
                destination = packet.Slice(24, 16);
                protocol = packet[6];
                int at = 40;
                for (int i = 0; i < 8; i++)
                {
                    int length;
                    switch (protocol)
                    {
                        case 0 or 43 or 60 when packet.Length >= at + 2:
                            length = (packet[at + 1] + 1) * 8;
                            break;
                        case 44 when packet.Length >= at + 8:
                            length = 8;
                            break;
                        case 51 when packet.Length >= at + 2:
                            length = (packet[at + 1] + 2) * 4;
                            break;
                        default:
                            return true;
                    }

                    if (packet.Length < at + length)
                    {
                        return true;
                    }

                    protocol = packet[at];
                    at += length;
                }

                return true;

            default:
                return false;
        }
    }
}
