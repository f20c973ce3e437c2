namespace RouterHost.Firewall;

/// <summary>What <see cref="ConntrackTable.Lookup"/> found for a packet.</summary>
public enum ConntrackMatch : byte
{
    /// <summary>No live connection: evaluate the rules.</summary>
    Miss = 0,

    /// <summary>A packet of a tracked connection in the direction that opened it.</summary>
    Original = 1,

    /// <summary>A reply on a tracked connection.</summary>
    Reply = 2,
}
