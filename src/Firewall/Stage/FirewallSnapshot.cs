using RouterHost.Abstractions;

namespace RouterHost.Firewall.Stage;

/// <summary>
/// What the Firewall stage's workers read: one compiled rule set per direction (rules for "any" direction are in
/// both), built whole off the data path and swapped in with one <see cref="Volatile.Write{T}(ref T, T)"/>.
/// </summary>
internal sealed class FirewallSnapshot
{
    private FirewallSnapshot(CompiledRuleSet outbound, CompiledRuleSet inbound, bool usesEgress, FirewallSettings settings)
    {
        Outbound = outbound;
        Inbound = inbound;
        UsesEgress = usesEgress;
        Settings = settings;
    }

    public CompiledRuleSet Outbound { get; }

    public CompiledRuleSet Inbound { get; }

    /// <summary>Whether any rule names an egress ("To"), so packets not yet routed must be looked up first.</summary>
    public bool UsesEgress { get; }

    public FirewallSettings Settings { get; }

    public CompiledRuleSet For(PacketDirection direction) => direction == PacketDirection.Inbound ? Inbound : Outbound;

    /// <summary>Resolves the rules' port names and groups and compiles both directions. Problems name key paths.</summary>
    public static FirewallSnapshot? Build(FirewallSettings settings, IPortRegistry ports, List<ConfigurationProblem> problems)
    {
        var outbound = new List<FirewallRule>();
        var inbound = new List<FirewallRule>();
        bool usesEgress = false;
        foreach (ConfiguredRule configured in settings.Rules)
        {
            IReadOnlySet<PortId>? from = Resolve(configured.From, $"{configured.Path}:From", ports, problems);
            IReadOnlySet<PortId>? to = Resolve(configured.To, $"{configured.Path}:To", ports, problems);
            usesEgress |= to is not null;
            FirewallRule rule = configured.Rule with { Ingress = from, Egress = to };
            if (configured.Direction != RuleDirection.Inbound)
            {
                outbound.Add(rule);
            }

            if (configured.Direction != RuleDirection.Outbound)
            {
                inbound.Add(rule);
            }
        }

        if (problems.Count > 0)
        {
            return null;
        }

        try
        {
            return new FirewallSnapshot(
                CompiledRuleSet.Build(outbound, settings.Defaults),
                CompiledRuleSet.Build(inbound, settings.Defaults),
                usesEgress,
                settings);
        }
        catch (ArgumentException ex)
        {
            problems.Add(new ConfigurationProblem("Rules", ex.Message));
            return null;
        }
    }

    private static HashSet<PortId>? Resolve(IReadOnlyList<string>? names, string path, IPortRegistry ports, List<ConfigurationProblem> problems)
    {
        if (names is null)
        {
            return null;
        }

        var set = new HashSet<PortId>();
        foreach (string name in names)
        {
            if (name.StartsWith("group:", StringComparison.OrdinalIgnoreCase))
            {
                string group = name["group:".Length..];
                foreach (PortInfo port in ports.Ports)
                {
                    if (port.InGroup(group))
                    {
                        set.Add(port.Id);
                    }
                }

                continue;
            }

            if (ports.TryFind(name, out PortInfo? found))
            {
                set.Add(found.Id);
            }
            else
            {
                var known = new List<string>();
                foreach (PortInfo port in ports.Ports)
                {
                    known.Add(port.Name);
                }

                problems.Add(new ConfigurationProblem(path, $"names '{name}', which is not an interface or peer of this router (it has: {string.Join(", ", known)}; use group:NAME for a group)"));
            }
        }

        return set;
    }
}
