using System.Runtime.CompilerServices;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>
/// One neighbour as the data path sees it: immutable apart from two flags the data path sets (used since the
/// last refresh; a retry already requested). The resolver replaces the whole entry when anything else changes,
/// so a reader never sees half an update.
/// </summary>
internal sealed class NeighbourEntry(byte family, UInt128 address, ulong mac, NeighbourStatus status, long since)
{
    /// <summary>4 or 6.</summary>
    public byte Family { get; } = family;

    /// <summary>The neighbour's address (IPv4 in the low 32 bits).</summary>
    public UInt128 Address { get; } = address;

    /// <summary>Its MAC (low 48 bits, wire order), when <see cref="Status"/> is <see cref="NeighbourStatus.Resolved"/>.</summary>
    public ulong Mac { get; } = mac;

    public NeighbourStatus Status { get; } = status;

    /// <summary>When the resolver made this entry (<see cref="Environment.TickCount64"/> milliseconds).</summary>
    public long Since { get; } = since;

    /// <summary>1 once a packet used the entry since the resolver last looked (plain writes: a lost update costs one refresh).</summary>
    public int Used;

    /// <summary>1 once the data path asked again for a failed entry (so it asks once).</summary>
    public int RetryRequested;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Matches(byte family, UInt128 address) => Family == family && Address == address;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MarkUsed()
    {
        if (Used == 0)
        {
            Used = 1;
        }
    }
}
