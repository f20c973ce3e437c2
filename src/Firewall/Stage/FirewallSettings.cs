using System.Globalization;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Packets;
using RouterHost.Settings;

namespace RouterHost.Firewall.Stage;

/// <summary>Which direction of the chain a rule applies to.</summary>
internal enum RuleDirection
{
    Any,
    Inbound,
    Outbound,
}

/// <summary>A configured rule before its port names are resolved.</summary>
internal sealed record ConfiguredRule(string Path, RuleDirection Direction, IReadOnlyList<string>? From, IReadOnlyList<string>? To, FirewallRule Rule);

/// <summary>
/// The Firewall stage's <c>Settings</c>, read by hand so each problem names its key path:
/// <code>
/// "DefaultPolicy": { "Outbound": "accept", "Inbound": "drop" },
/// "Rules": [ { "Name": "no-telnet", "Action": "reject", "Direction": "any", "From": [ "lan", "group:office" ],
///              "To": [ "wan" ], "Sources": [ "10.0.0.0/8" ], "Destinations": [ "192.168.0.0/16" ],
///              "Protocol": "tcp", "SourcePorts": [ "1024-65535" ], "Ports": [ "23" ], "IcmpType": 8, "IcmpCode": 0 } ],
/// "Conntrack": { "Capacity": 65536, "EvictEstablishedWhenFull": false, "Timeouts": { "TcpEstablished": "2h", ... } },
/// "Reject": { "PerSecond": 100, "Burst": 50 }
/// </code>
/// </summary>
internal sealed record FirewallSettings
{
    private static readonly string[] s_keys = ["DefaultPolicy", "Rules", "Conntrack", "Reject"];
    private static readonly string[] s_ruleKeys = ["Name", "Action", "Direction", "From", "To", "Sources", "Destinations", "Protocol", "SourcePorts", "Ports", "DestinationPorts", "IcmpType", "IcmpCode"];
    private static readonly string[] s_timeouts =
        ["TcpSynSent", "TcpSynReceived", "TcpEstablished", "TcpClosing", "TcpTimeWait", "TcpClosed", "UdpUnreplied", "UdpReplied", "IcmpEcho", "OtherUnreplied", "OtherReplied"];

    private static readonly string[] s_actions = ["accept", "drop", "reject"];

    public FirewallDefaults Defaults { get; init; } = new();

    public IReadOnlyList<ConfiguredRule> Rules { get; init; } = [];

    public ConntrackOptions Conntrack { get; init; } = new();

    public double RejectPerSecond { get; init; } = 100;

    public int RejectBurst { get; init; } = 50;

    public static FirewallSettings Parse(IConfigurationSection settings, List<ConfigurationProblem> problems)
    {
        var reader = new SettingsReader(problems);
        reader.CheckKeys(settings, s_keys);

        IConfigurationSection policy = settings.GetSection("DefaultPolicy");
        reader.CheckKeys(policy, "Outbound", "Inbound");
        var defaults = new FirewallDefaults(
            (RuleAction)(reader.Choice(policy, "Outbound", s_actions) ?? (int)RuleAction.Accept),
            (RuleAction)(reader.Choice(policy, "Inbound", s_actions) ?? (int)RuleAction.Drop));

        var rules = new List<ConfiguredRule>();
        foreach (IConfigurationSection item in settings.GetSection("Rules").GetChildren())
        {
            if (ParseRule(item, reader) is { } rule)
            {
                rules.Add(rule);
            }
        }

        IConfigurationSection reject = settings.GetSection("Reject");
        reader.CheckKeys(reject, "PerSecond", "Burst");
        return new FirewallSettings
        {
            Defaults = defaults,
            Rules = rules,
            Conntrack = ParseConntrack(settings.GetSection("Conntrack"), reader),
            RejectPerSecond = reader.Number(reject, "PerSecond", 100, 0.001, 10_000_000),
            RejectBurst = (int)reader.Integer(reject, "Burst", 50, 1, 10_000_000),
        };
    }

    private static ConntrackOptions ParseConntrack(IConfigurationSection section, SettingsReader reader)
    {
        reader.CheckKeys(section, "Capacity", "EvictEstablishedWhenFull", "Timeouts");
        IConfigurationSection timeouts = section.GetSection("Timeouts");
        reader.CheckKeys(timeouts, s_timeouts);
        var defaults = new ConntrackOptions();
        TimeSpan T(string key, TimeSpan value) => reader.Duration(timeouts, key, value, TimeSpan.FromSeconds(1), TimeSpan.FromDays(30));
        return new ConntrackOptions
        {
            Capacity = (int)reader.Integer(section, "Capacity", defaults.Capacity, 64, 1 << 26),
            EvictEstablishedWhenFull = reader.Boolean(section, "EvictEstablishedWhenFull", false),
            TcpSynSent = T("TcpSynSent", defaults.TcpSynSent),
            TcpSynReceived = T("TcpSynReceived", defaults.TcpSynReceived),
            TcpEstablished = T("TcpEstablished", defaults.TcpEstablished),
            TcpClosing = T("TcpClosing", defaults.TcpClosing),
            TcpTimeWait = T("TcpTimeWait", defaults.TcpTimeWait),
            TcpClosed = T("TcpClosed", defaults.TcpClosed),
            UdpUnreplied = T("UdpUnreplied", defaults.UdpUnreplied),
            UdpReplied = T("UdpReplied", defaults.UdpReplied),
            IcmpEcho = T("IcmpEcho", defaults.IcmpEcho),
            OtherUnreplied = T("OtherUnreplied", defaults.OtherUnreplied),
            OtherReplied = T("OtherReplied", defaults.OtherReplied),
        };
    }

    private static ConfiguredRule? ParseRule(IConfigurationSection item, SettingsReader reader)
    {
        if (item.Value is not null)
        {
            reader.Problem(item.Path, "must be an object like { \"Action\": \"accept\", \"Protocol\": \"tcp\", \"Ports\": [ \"22\" ] }");
            return null;
        }

        reader.CheckKeys(item, s_ruleKeys);
        int before = reader.Problems.Count;
        if (item["Action"] is null)
        {
            reader.Problem($"{item.Path}:Action", "is missing: accept, drop or reject");
        }

        var action = (RuleAction)(reader.Choice(item, "Action", s_actions) ?? 0);
        var direction = (RuleDirection)(reader.Choice(item, "Direction", "any", "inbound", "outbound") ?? 0);
        byte? protocol = ParseProtocol(item, reader);
        if (item["Ports"] is not null || item.GetSection("Ports").GetChildren().Any())
        {
            if (item["DestinationPorts"] is not null || item.GetSection("DestinationPorts").GetChildren().Any())
            {
                reader.Problem($"{item.Path}:Ports", "give either Ports or DestinationPorts (the same thing), not both");
            }
        }

        List<PortRange> sourcePorts = ParsePorts(item.GetSection("SourcePorts"), reader);
        List<PortRange> destinationPorts = ParsePorts(item.GetSection("Ports"), reader);
        destinationPorts.AddRange(ParsePorts(item.GetSection("DestinationPorts"), reader));
        byte? icmpType = item["IcmpType"] is null ? null : (byte)reader.Integer(item, "IcmpType", 0, 0, 255);
        byte? icmpCode = item["IcmpCode"] is null ? null : (byte)reader.Integer(item, "IcmpCode", 0, 0, 255);
        bool hasPorts = sourcePorts.Count > 0 || destinationPorts.Count > 0;
        bool hasIcmp = icmpType is not null || icmpCode is not null;
        if (hasPorts && protocol is not (null or IpProtocol.Tcp or IpProtocol.Udp))
        {
            reader.Problem($"{item.Path}:Protocol", "ports only exist in tcp and udp: set Protocol to tcp or udp, or remove the ports");
        }

        if (hasIcmp && protocol is not (null or IpProtocol.Icmp or IpProtocol.IcmpV6))
        {
            reader.Problem($"{item.Path}:Protocol", "IcmpType and IcmpCode need Protocol icmp or icmpv6");
        }

        if (hasPorts && hasIcmp)
        {
            reader.Problem(item.Path, "a rule cannot match both ports and ICMP fields: no packet has both");
        }

        List<IpPrefix> sources = ParsePrefixes(item.GetSection("Sources"), reader);
        List<IpPrefix> destinations = ParsePrefixes(item.GetSection("Destinations"), reader);
        IReadOnlyList<string>? from = ParseNames(item.GetSection("From"), reader);
        IReadOnlyList<string>? to = ParseNames(item.GetSection("To"), reader);
        if (reader.Problems.Count != before)
        {
            return null;
        }

        var rule = new FirewallRule
        {
            Name = item["Name"] ?? $"rule {item.Key}",
            Action = action,
            Protocol = protocol,
            Sources = sources,
            Destinations = destinations,
            SourcePorts = sourcePorts,
            DestinationPorts = destinationPorts,
            IcmpType = icmpType,
            IcmpCode = icmpCode,
        };
        return new ConfiguredRule(item.Path, direction, from, to, rule);
    }

    private static byte? ParseProtocol(IConfigurationSection item, SettingsReader reader)
    {
        string? text = item["Protocol"]?.Trim();
        switch (text?.ToLowerInvariant())
        {
            case null or "any":
                return null;
            case "tcp":
                return IpProtocol.Tcp;
            case "udp":
                return IpProtocol.Udp;
            case "icmp":
                return IpProtocol.Icmp;
            case "icmpv6" or "ipv6-icmp":
                return IpProtocol.IcmpV6;
        }

        if (byte.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out byte number))
        {
            return number;
        }

        reader.Problem($"{item.Path}:Protocol", $"must be tcp, udp, icmp, icmpv6, any or a protocol number 0-255 (got '{text}')");
        return null;
    }

    private static List<PortRange> ParsePorts(IConfigurationSection section, SettingsReader reader)
    {
        var ranges = new List<PortRange>();
        foreach ((string path, string text) in reader.Strings(section))
        {
            int dash = text.IndexOf('-', StringComparison.Ordinal);
            string first = dash < 0 ? text : text[..dash];
            string last = dash < 0 ? text : text[(dash + 1)..];
            if (!ushort.TryParse(first.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ushort low)
                || !ushort.TryParse(last.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ushort high)
                || low > high)
            {
                reader.Problem(path, $"must be a port (0-65535) or a range like 1024-65535 with the lower bound first (got '{text}')");
                continue;
            }

            ranges.Add(new PortRange(low, high));
        }

        return ranges;
    }

    private static List<IpPrefix> ParsePrefixes(IConfigurationSection section, SettingsReader reader)
    {
        var prefixes = new List<IpPrefix>();
        foreach ((string path, string text) in reader.Strings(section))
        {
            try
            {
                prefixes.Add(IpPrefix.ParseContaining(text));
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                reader.Problem(path, ex.Message);
            }
        }

        return prefixes;
    }

    private static List<string>? ParseNames(IConfigurationSection section, SettingsReader reader)
    {
        if (section.Value is null && !section.GetChildren().Any())
        {
            return null;
        }

        var names = new List<string>();
        foreach ((string path, string text) in reader.Strings(section))
        {
            if (text.StartsWith("group:", StringComparison.OrdinalIgnoreCase) && text.Length == "group:".Length)
            {
                reader.Problem(path, "'group:' needs a group name after it");
                continue;
            }

            names.Add(text);
        }

        return names;
    }
}
