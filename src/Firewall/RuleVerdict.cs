namespace RouterHost.Firewall;

/// <summary>The outcome of evaluating a packet against a rule set.</summary>
/// <param name="Action">What to do with the packet.</param>
/// <param name="RuleIndex">The first matching rule, or -1 when the default policy decided.</param>
public readonly record struct RuleVerdict(RuleAction Action, int RuleIndex)
{
    /// <summary>Whether the default policy decided (no rule matched).</summary>
    public bool IsDefault => RuleIndex < 0;
}
