namespace RouterHost.Firewall;

/// <summary>What a rule (or a default policy) does with a packet.</summary>
public enum RuleAction : byte
{
    /// <summary>Let it pass (and track its connection).</summary>
    Accept = 0,

    /// <summary>Discard it silently.</summary>
    Drop = 1,

    /// <summary>Discard it and answer the sender (TCP RST or ICMP administratively prohibited).</summary>
    Reject = 2,
}
