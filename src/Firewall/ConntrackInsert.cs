namespace RouterHost.Firewall;

/// <summary>What <see cref="ConntrackTable.Add"/> did.</summary>
public enum ConntrackInsert : byte
{
    /// <summary>A new connection was recorded.</summary>
    Inserted = 0,

    /// <summary>The connection was already tracked (another thread added it first); its state was updated.</summary>
    Exists = 1,

    /// <summary>The packet cannot open a connection (RST, echo reply, ICMP error, later fragment).</summary>
    NotTrackable = 2,

    /// <summary>The table had no room and nothing it may evict; the connection was not recorded.</summary>
    Full = 3,
}
