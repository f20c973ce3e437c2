namespace RouterHost.Netlink;

/// <summary>NUD_* states of a neighbour entry (linux/neighbour.h).</summary>
[Flags]
public enum NeighbourState : ushort
{
    /// <summary>NUD_NONE: just created, no resolution yet.</summary>
    None = 0x00,

    /// <summary>NUD_INCOMPLETE: resolution in progress.</summary>
    Incomplete = 0x01,

    /// <summary>NUD_REACHABLE: confirmed recently.</summary>
    Reachable = 0x02,

    /// <summary>NUD_STALE: usable, unconfirmed.</summary>
    Stale = 0x04,

    /// <summary>NUD_DELAY.</summary>
    Delay = 0x08,

    /// <summary>NUD_PROBE.</summary>
    Probe = 0x10,

    /// <summary>NUD_FAILED: resolution failed.</summary>
    Failed = 0x20,

    /// <summary>NUD_NOARP: the device needs no resolution.</summary>
    NoArp = 0x40,

    /// <summary>NUD_PERMANENT: a static entry.</summary>
    Permanent = 0x80,
}
