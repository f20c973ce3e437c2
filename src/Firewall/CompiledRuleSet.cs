using System.Collections.Frozen;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RouterHost.Abstractions;
using RouterHost.Firewall.Internal;
using RouterHost.Settings;

namespace RouterHost.Firewall;

/// <summary>
/// An immutable, indexed rule set: first-match semantics of <see cref="FirewallRule.Matches"/> over the rules in
/// order, answered by a bit-vector classifier instead of a scan.
/// <para>
/// Each of eight fields (ingress, egress, protocol, source and destination address, source and destination
/// port, ICMP type/code) maps the packet's value to a precomputed bitset of the rules whose condition on that
/// field holds: direct tables for protocol, ports and ICMP (one array read), interval tables for addresses, a
/// frozen dictionary for ports. The first rule matching every field is the lowest bit set in the AND of the
/// eight bitsets. A summary per bitset (one bit per 64-rule word) is ANDed first, so only words where every
/// field has a candidate are visited: the cost follows how many rules could match, not how many exist.
/// </para>
/// Building allocates (control plane); <see cref="Match"/> and <see cref="Evaluate"/> allocate nothing and take no
/// locks. Swap a new set in with <see cref="Volatile.Write{T}(ref T, T)"/>.
/// </summary>
public sealed class CompiledRuleSet
{
    private readonly FirewallRule[] _rules;
    private readonly FirewallDefaults _defaults;
    private readonly int _words;
    private readonly int _summaryWords;
    private readonly ulong[] _bits;
    private readonly ulong[] _summaries;
    private readonly FrozenDictionary<PortId, int> _ingress;
    private readonly int _ingressOther;
    private readonly FrozenDictionary<PortId, int> _egress;
    private readonly int _egressOther;
    private readonly int[] _protocol;
    private readonly AddressTable _source4;
    private readonly AddressTable _source6;
    private readonly AddressTable _destination4;
    private readonly AddressTable _destination6;
    private readonly int[] _sourcePorts;
    private readonly int _sourcePortsNone;
    private readonly int[] _destinationPorts;
    private readonly int _destinationPortsNone;
    private readonly int[] _icmp;
    private readonly int _icmpNone;

    private CompiledRuleSet(FirewallRule[] rules, FirewallDefaults defaults)
    {
        _rules = rules;
        _defaults = defaults;
        int n = rules.Length;
        var pool = new BitsetPoolBuilder(Math.Max(1, (n + 63) >> 6));
        _words = pool.Words;
        _summaryWords = pool.SummaryWords;

        (_ingress, _ingressOther) = BuildPortField(rules, r => r.Ingress, pool);
        (_egress, _egressOther) = BuildPortField(rules, r => r.Egress, pool);

        var intervals = new List<(UInt128, UInt128, int)>();
        var universal = new List<int>();
        for (int i = 0; i < n; i++)
        {
            if (rules[i].Protocol is byte p)
            {
                intervals.Add((p, p, i));
            }
            else
            {
                universal.Add(i);
            }
        }

        _protocol = Direct(256, intervals, universal, n, pool);

        _source4 = BuildAddressField(rules, r => r.Sources, isIPv6: false, pool);
        _source6 = BuildAddressField(rules, r => r.Sources, isIPv6: true, pool);
        _destination4 = BuildAddressField(rules, r => r.Destinations, isIPv6: false, pool);
        _destination6 = BuildAddressField(rules, r => r.Destinations, isIPv6: true, pool);

        (_sourcePorts, _sourcePortsNone) = BuildPortRangeField(rules, r => r.SourcePorts, pool);
        (_destinationPorts, _destinationPortsNone) = BuildPortRangeField(rules, r => r.DestinationPorts, pool);

        intervals.Clear();
        universal.Clear();
        for (int i = 0; i < n; i++)
        {
            FirewallRule rule = rules[i];
            switch (rule.IcmpType, rule.IcmpCode)
            {
                case (null, null):
                    universal.Add(i);
                    break;
                case (byte type, null):
                    intervals.Add(((UInt128)(type << 8), (UInt128)((type << 8) | 0xFF), i));
                    break;
                case (byte type, byte code):
                    intervals.Add(((UInt128)((type << 8) | code), (UInt128)((type << 8) | code), i));
                    break;
                case (null, byte code):
                    for (int type = 0; type < 256; type++)
                    {
                        intervals.Add(((UInt128)((type << 8) | code), (UInt128)((type << 8) | code), i));
                    }

                    break;
            }
        }

        _icmp = Direct(65536, intervals, universal, n, pool);
        _icmpNone = pool.Add(Bits(universal, pool.Words));

        BitsetCount = pool.Count;
        (_bits, _summaries) = pool.Build();
    }

    /// <summary>The rules, in evaluation order.</summary>
    public IReadOnlyList<FirewallRule> Rules => _rules;

    /// <summary>The default policies.</summary>
    public FirewallDefaults Defaults => _defaults;

    /// <summary>How many distinct rule bitsets the index holds (a measure of its size).</summary>
    public int BitsetCount { get; }

    /// <summary>An empty rule set: everything gets the default policy.</summary>
    public static CompiledRuleSet Empty(FirewallDefaults? defaults = null) => Build([], defaults);

    /// <summary>
    /// Validates and indexes <paramref name="rules"/>. Throws <see cref="ArgumentException"/> naming the rule
    /// for a rule that can never match by construction (port and ICMP conditions together, an inverted range).
    /// </summary>
    public static CompiledRuleSet Build(IReadOnlyList<FirewallRule> rules, FirewallDefaults? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        FirewallRule[] copy = new FirewallRule[rules.Count];
        for (int i = 0; i < copy.Length; i++)
        {
            FirewallRule rule = rules[i] ?? throw new ArgumentException($"Rule {i} is null.", nameof(rules));
            Validate(rule, i);
            copy[i] = rule;
        }

        return new CompiledRuleSet(copy, defaults ?? new FirewallDefaults());
    }

    /// <summary>The index of the first rule the packet matches, or -1 when none does.</summary>
    [SkipLocalsInit]
    public int Match(in PacketFields packet)
    {
        int words = _words;
        int summaryWords = _summaryWords;
        int a = _ingress.Count == 0 || !_ingress.TryGetValue(packet.Ingress, out int ingress) ? _ingressOther : ingress;
        int b = _egress.Count == 0 || !_egress.TryGetValue(packet.Egress, out int egress) ? _egressOther : egress;
        int c = _protocol[packet.Protocol];
        int d;
        int e;
        if (packet.IsIPv6)
        {
            d = _source6.FindV6(packet.Source);
            e = _destination6.FindV6(packet.Destination);
        }
        else
        {
            d = _source4.FindV4((uint)packet.Source);
            e = _destination4.FindV4((uint)packet.Destination);
        }

        int f = packet.HasPorts ? _sourcePorts[packet.SourcePort] : _sourcePortsNone;
        int g = packet.HasPorts ? _destinationPorts[packet.DestinationPort] : _destinationPortsNone;
        int h = packet.IsIcmp ? _icmp[(packet.IcmpType << 8) | packet.IcmpCode] : _icmpNone;

        ref ulong sums = ref MemoryMarshal.GetArrayDataReference(_summaries);
        ref ulong sa = ref Unsafe.Add(ref sums, a * summaryWords);
        ref ulong sb = ref Unsafe.Add(ref sums, b * summaryWords);
        ref ulong sc = ref Unsafe.Add(ref sums, c * summaryWords);
        ref ulong sd = ref Unsafe.Add(ref sums, d * summaryWords);
        ref ulong se = ref Unsafe.Add(ref sums, e * summaryWords);
        ref ulong sf = ref Unsafe.Add(ref sums, f * summaryWords);
        ref ulong sg = ref Unsafe.Add(ref sums, g * summaryWords);
        ref ulong sh = ref Unsafe.Add(ref sums, h * summaryWords);
        ref ulong bits = ref MemoryMarshal.GetArrayDataReference(_bits);
        ref ulong ba = ref Unsafe.Add(ref bits, a * words);
        ref ulong bb = ref Unsafe.Add(ref bits, b * words);
        ref ulong bc = ref Unsafe.Add(ref bits, c * words);
        ref ulong bd = ref Unsafe.Add(ref bits, d * words);
        ref ulong be = ref Unsafe.Add(ref bits, e * words);
        ref ulong bf = ref Unsafe.Add(ref bits, f * words);
        ref ulong bg = ref Unsafe.Add(ref bits, g * words);
        ref ulong bh = ref Unsafe.Add(ref bits, h * words);
        for (int s = 0; s < summaryWords; s++)
        {
            ulong candidates = Unsafe.Add(ref sa, s) & Unsafe.Add(ref sb, s) & Unsafe.Add(ref sc, s) & Unsafe.Add(ref sd, s)
                & Unsafe.Add(ref se, s) & Unsafe.Add(ref sf, s) & Unsafe.Add(ref sg, s) & Unsafe.Add(ref sh, s);
            while (candidates != 0)
            {
                int w = (s << 6) + BitOperations.TrailingZeroCount(candidates);
                ulong hit = Unsafe.Add(ref ba, w) & Unsafe.Add(ref bb, w) & Unsafe.Add(ref bc, w) & Unsafe.Add(ref bd, w)
                    & Unsafe.Add(ref be, w) & Unsafe.Add(ref bf, w) & Unsafe.Add(ref bg, w) & Unsafe.Add(ref bh, w);
                if (hit != 0)
                {
                    return (w << 6) + BitOperations.TrailingZeroCount(hit);
                }

                candidates &= candidates - 1;
            }
        }

        return -1;
    }

    /// <summary>The action for the packet: the first matching rule's, else the direction's default.</summary>
    public RuleVerdict Evaluate(in PacketFields packet, PacketDirection direction)
    {
        int index = Match(packet);
        return index >= 0 ? new RuleVerdict(_rules[index].Action, index) : new RuleVerdict(_defaults.For(direction), -1);
    }

    private static void Validate(FirewallRule rule, int index)
    {
        bool ports = rule.SourcePorts.Count > 0 || rule.DestinationPorts.Count > 0;
        bool icmp = rule.IcmpType is not null || rule.IcmpCode is not null;
        if (ports && icmp)
        {
            throw new ArgumentException($"Rule {index} ({rule.Name}) has both port and ICMP conditions; no packet has both.");
        }

        foreach (PortRange range in rule.SourcePorts.Concat(rule.DestinationPorts))
        {
            if (range.First > range.Last)
            {
                throw new ArgumentException($"Rule {index} ({rule.Name}) has the inverted port range {range.First}-{range.Last}.");
            }
        }
    }

    private static ulong[] Bits(List<int> rules, int words)
    {
        ulong[] bits = new ulong[words];
        foreach (int rule in rules)
        {
            bits[rule >> 6] |= 1UL << (rule & 63);
        }

        return bits;
    }

    private static int[] Direct(int size, List<(UInt128, UInt128, int)> intervals, List<int> universal, int n, BitsetPoolBuilder pool)
    {
        (UInt128[] starts, int[] sets) = IntervalSweep.Run((UInt128)(size - 1), intervals, universal, n, pool);
        return IntervalSweep.ToDirectTable(size, starts, sets);
    }

    private static (FrozenDictionary<PortId, int> Map, int Other) BuildPortField(
        FirewallRule[] rules, Func<FirewallRule, IReadOnlySet<PortId>?> select, BitsetPoolBuilder pool)
    {
        var any = new List<int>();
        var named = new Dictionary<PortId, List<int>>();
        for (int i = 0; i < rules.Length; i++)
        {
            IReadOnlySet<PortId>? ports = select(rules[i]);
            if (ports is null)
            {
                any.Add(i);
                continue;
            }

            foreach (PortId port in ports)
            {
                if (!named.TryGetValue(port, out List<int>? list))
                {
                    named[port] = list = [];
                }

                list.Add(i);
            }
        }

        int other = pool.Add(Bits(any, pool.Words));
        var map = new Dictionary<PortId, int>();
        foreach ((PortId port, List<int> list) in named)
        {
            ulong[] bits = Bits(any, pool.Words);
            foreach (int rule in list)
            {
                bits[rule >> 6] |= 1UL << (rule & 63);
            }

            map[port] = pool.Add(bits);
        }

        return (map.ToFrozenDictionary(), other);
    }

    private static AddressTable BuildAddressField(
        FirewallRule[] rules, Func<FirewallRule, IReadOnlyList<IpPrefix>> select, bool isIPv6, BitsetPoolBuilder pool)
    {
        (List<(UInt128, UInt128, int)> intervals, List<int> universal) = Intervals(
            rules, select, prefix => prefix.IsIPv6 == isIPv6 ? (prefix.First, prefix.Last) : null);
        UInt128 max = isIPv6 ? UInt128.MaxValue : uint.MaxValue;
        (UInt128[] starts, int[] sets) = IntervalSweep.Run(max, intervals, universal, rules.Length, pool);
        return new AddressTable(isIPv6, starts, sets);
    }

    private static (int[] Table, int None) BuildPortRangeField(
        FirewallRule[] rules, Func<FirewallRule, IReadOnlyList<PortRange>> select, BitsetPoolBuilder pool)
    {
        (List<(UInt128, UInt128, int)> intervals, List<int> universal) = Intervals(rules, select, range => (range.First, range.Last));
        int[] table = Direct(65536, intervals, universal, rules.Length, pool);
        return (table, pool.Add(Bits(universal, pool.Words)));
    }

    // Each rule's values of one field as intervals tagged with the rule's index; rules with no values match any value.
    private static (List<(UInt128, UInt128, int)> Intervals, List<int> Universal) Intervals<T>(
        FirewallRule[] rules, Func<FirewallRule, IReadOnlyList<T>> select, Func<T, (UInt128 First, UInt128 Last)?> interval)
    {
        var intervals = new List<(UInt128, UInt128, int)>();
        var universal = new List<int>();
        for (int i = 0; i < rules.Length; i++)
        {
            IReadOnlyList<T> values = select(rules[i]);
            if (values.Count == 0)
            {
                universal.Add(i);
                continue;
            }

            foreach (T value in values)
            {
                if (interval(value) is (UInt128 first, UInt128 last))
                {
                    intervals.Add((first, last, i));
                }
            }
        }

        return (intervals, universal);
    }
}
