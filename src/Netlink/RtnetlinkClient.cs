using System.Net;
using System.Net.Sockets;
using System.Text;
using RouterHost.Linux;
using static RouterHost.Netlink.Interop.Netlink;

namespace RouterHost.Netlink;

/// <summary>
/// A synchronous rtnetlink (NETLINK_ROUTE) client: reads and changes links, addresses, routes and neighbours
/// of the network namespace the constructing thread was in. Each call sends one request with
/// NLM_F_REQUEST|NLM_F_ACK and reads replies until the ACK, the error or NLMSG_DONE carrying its sequence
/// number; replies to other sequence numbers are ignored. Calls are serialised, so an instance may be shared.
/// Failures throw <see cref="NetlinkException"/> naming the operation and the errno;
/// replies that do not parse throw <see cref="MalformedNetlinkMessageException"/>.
/// </summary>
public sealed class RtnetlinkClient : IDisposable
{
    /// <summary>How long a call waits for the kernel's reply unless told otherwise.</summary>
    public static readonly TimeSpan DefaultReplyTimeout = TimeSpan.FromSeconds(5);

    // The kernel caps one dump datagram near 32 KiB; twice that leaves room. A longer datagram fails loudly.
    private const int ReceiveBufferSize = 64 * 1024;
    private const int MaxDumpAttempts = 4;
    private const byte AF_UNSPEC = 0;
    private const byte AF_INET = 2;
    private const byte AF_INET6 = 10;

    private readonly NetlinkSocket _socket;
    private readonly NetlinkRequestWriter _writer = new();
    private readonly byte[] _receiveBuffer = new byte[ReceiveBufferSize];
    private readonly Lock _lock = new();
    private readonly TimeSpan _replyTimeout;
    private uint _sequence;
    private bool _disposed;

    /// <summary>Opens a NETLINK_ROUTE socket in the calling thread's network namespace.</summary>
    public RtnetlinkClient()
        : this(DefaultReplyTimeout)
    {
    }

    /// <summary>Opens a NETLINK_ROUTE socket in the calling thread's network namespace.</summary>
    /// <param name="replyTimeout">How long each call waits for the kernel's reply before failing with ETIMEDOUT.</param>
    public RtnetlinkClient(TimeSpan replyTimeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(replyTimeout, TimeSpan.Zero);
        _replyTimeout = replyTimeout;
        _socket = NetlinkSocket.Open(NETLINK_ROUTE);
        // Start away from 0 so our first requests are not confused with anything the port saw before.
        _sequence = (uint)Random.Shared.Next(1, int.MaxValue);
    }

    /// <summary>The socket's netlink port id (nl_pid), as the kernel assigned it.</summary>
    public uint PortId => _socket.PortId;

    // ---- links ------------------------------------------------------------------------------------------

    /// <summary>The index of the link named <paramref name="name"/>; throws ENODEV when there is none.</summary>
    public int GetLinkIndex(string name) =>
        FindLink(name)?.Index
        ?? throw new NetlinkException($"looking up link \"{name}\"", Errno.ENODEV);

    /// <summary>The link named <paramref name="name"/>, or null when there is none.</summary>
    public LinkInfo? FindLink(string name)
    {
        ValidateLinkName(name);
        var links = Execute(
            RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK,
            writer =>
            {
                writer.AddFixedHeader(IFINFOMSG_SIZE);
                writer.AddString(IFLA_IFNAME, name);
            },
            RTM_NEWLINK, RtnetlinkDecoder.DecodeLink,
            0, _ => $"looking up link \"{name}\"",
            toleratedErrno: Errno.ENODEV);
        return links.Count > 0 ? links[0] : null;
    }

    /// <summary>The link with index <paramref name="index"/>, or null when there is none.</summary>
    public LinkInfo? FindLink(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        var links = Execute(
            RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK,
            writer => WriteIfInfo(writer.AddFixedHeader(IFINFOMSG_SIZE), index, 0, 0),
            RTM_NEWLINK, RtnetlinkDecoder.DecodeLink,
            0, _ => $"looking up link ifindex {index}",
            toleratedErrno: Errno.ENODEV);
        return links.Count > 0 ? links[0] : null;
    }

    /// <summary>The link with index <paramref name="index"/>; throws ENODEV when there is none.</summary>
    public LinkInfo GetLink(int index) =>
        FindLink(index) ?? throw new NetlinkException($"getting link ifindex {index}", Errno.ENODEV);

    /// <summary>Every link of the namespace.</summary>
    public IReadOnlyList<LinkInfo> ListLinks() =>
        Dump(
            RTM_GETLINK,
            writer => writer.AddFixedHeader(IFINFOMSG_SIZE),
            RTM_NEWLINK, RtnetlinkDecoder.DecodeLink,
            "listing links");

    /// <summary>Sets the link administratively up or down (IFF_UP).</summary>
    public void SetLinkUp(int ifindex, bool up)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        ExecuteAck(
            RTM_NEWLINK, 0,
            writer => WriteIfInfo(writer.AddFixedHeader(IFINFOMSG_SIZE), ifindex, up ? IFF_UP : 0, IFF_UP),
            ifindex, link => $"setting {link} {(up ? "up" : "down")}");
    }

    /// <summary>
    /// Sets the link's IPv4 <c>promote_secondaries</c> (as <c>net.ipv4.conf.LINK.promote_secondaries</c> would, through
    /// IFLA_AF_SPEC/AF_INET/IFLA_INET_CONF): when on, removing a primary address promotes a secondary of its subnet
    /// instead of removing them all.
    /// </summary>
    public void SetPromoteSecondaries(int ifindex, bool on)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        Span<byte> option = stackalloc byte[8];
        NetlinkRequestWriter.WriteUInt16(option, 8);
        NetlinkRequestWriter.WriteUInt16(option[2..], IPV4_DEVCONF_PROMOTE_SECONDARIES);
        NetlinkRequestWriter.WriteUInt32(option[4..], on ? 1u : 0u);
        byte[] inet = Nest(IFLA_INET_CONF, option);
        byte[] family = Nest(AF_INET, inet);
        ExecuteAck(
            RTM_NEWLINK, 0,
            writer =>
            {
                WriteIfInfo(writer.AddFixedHeader(IFINFOMSG_SIZE), ifindex, 0, 0);
                writer.AddAttribute(IFLA_AF_SPEC, family);
            },
            ifindex, link => $"setting promote_secondaries {(on ? 1 : 0)} on {link}");

        static byte[] Nest(ushort type, ReadOnlySpan<byte> inner)
        {
            var nested = new byte[RTA_HDRLEN + inner.Length];
            NetlinkRequestWriter.WriteUInt16(nested, (ushort)nested.Length);
            NetlinkRequestWriter.WriteUInt16(nested.AsSpan(2), type);
            inner.CopyTo(nested.AsSpan(RTA_HDRLEN));
            return nested;
        }
    }

    /// <summary>Sets the link's MTU (IFLA_MTU).</summary>
    public void SetMtu(int ifindex, int mtu)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(mtu);
        ExecuteAck(
            RTM_NEWLINK, 0,
            writer =>
            {
                WriteIfInfo(writer.AddFixedHeader(IFINFOMSG_SIZE), ifindex, 0, 0);
                writer.AddUInt32(IFLA_MTU, (uint)mtu);
            },
            ifindex, link => $"setting MTU {mtu} on {link}");
    }

    /// <summary>
    /// Sets the link's transmit queue length (IFLA_TXQLEN): for a TUN device, how many packets the kernel may
    /// queue for the reading process before it drops.
    /// </summary>
    public void SetTxQueueLength(int ifindex, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ExecuteAck(
            RTM_NEWLINK, 0,
            writer =>
            {
                WriteIfInfo(writer.AddFixedHeader(IFINFOMSG_SIZE), ifindex, 0, 0);
                writer.AddUInt32(IFLA_TXQLEN, (uint)length);
            },
            ifindex, link => $"setting the transmit queue length {length} on {link}");
    }

    // ---- addresses --------------------------------------------------------------------------------------

    /// <summary>
    /// Adds <paramref name="address"/>/<paramref name="prefixLength"/> to the link. IPv6 addresses are added
    /// with IFA_F_NODAD so they are usable at once. Fails with EEXIST if the address is already there, unless
    /// <paramref name="existingIsSuccess"/>. A nonzero <paramref name="protocol"/> is stamped on it (IFA_PROTO, Linux
    /// 6.1 on; an older kernel ignores it) and comes back in <see cref="AddressInfo.Protocol"/>.
    /// </summary>
    public void AddAddress(int ifindex, IPAddress address, int prefixLength, bool existingIsSuccess = false, byte protocol = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        var family = ValidateAddress(address, prefixLength, nameof(address));
        var flags = family == AF_INET6 ? IFA_F_NODAD : 0;
        ExecuteAck(
            RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
            writer =>
            {
                WriteIfAddr(writer.AddFixedHeader(IFADDRMSG_SIZE), family, prefixLength, (byte)flags, ifindex);
                writer.AddAddress(IFA_LOCAL, address);
                writer.AddAddress(IFA_ADDRESS, address);
                if (flags != 0)
                {
                    writer.AddUInt32(IFA_FLAGS, flags);
                }

                if (protocol != 0)
                {
                    writer.AddUInt8(IFA_PROTO, protocol);
                }
            },
            ifindex, link => $"adding address {address}/{prefixLength} to {link}",
            toleratedErrno: existingIsSuccess ? Errno.EEXIST : 0);
    }

    /// <summary>
    /// Removes <paramref name="address"/>/<paramref name="prefixLength"/> from the link. Fails with
    /// EADDRNOTAVAIL if it is not there, unless <paramref name="missingIsSuccess"/>.
    /// </summary>
    public void DeleteAddress(int ifindex, IPAddress address, int prefixLength, bool missingIsSuccess = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        var family = ValidateAddress(address, prefixLength, nameof(address));
        ExecuteAck(
            RTM_DELADDR, 0,
            writer =>
            {
                WriteIfAddr(writer.AddFixedHeader(IFADDRMSG_SIZE), family, prefixLength, 0, ifindex);
                writer.AddAddress(IFA_LOCAL, address);
                writer.AddAddress(IFA_ADDRESS, address);
            },
            ifindex, link => $"deleting address {address}/{prefixLength} from {link}",
            toleratedErrno: missingIsSuccess ? Errno.EADDRNOTAVAIL : 0);
    }

    /// <summary>The IPv4 and IPv6 addresses of the link.</summary>
    public IReadOnlyList<AddressInfo> ListAddresses(int ifindex)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        var all = Dump(
            RTM_GETADDR,
            writer => WriteIfAddr(writer.AddFixedHeader(IFADDRMSG_SIZE), AF_UNSPEC, 0, 0, ifindex),
            RTM_NEWADDR, RtnetlinkDecoder.DecodeAddress,
            $"listing addresses of ifindex {ifindex}");
        return all.Where(a => a.InterfaceIndex == ifindex).ToArray();
    }

    // ---- routes -----------------------------------------------------------------------------------------

    /// <summary>
    /// Adds a unicast route to <paramref name="destination"/>/<paramref name="prefixLength"/> out of the link,
    /// through <paramref name="gateway"/> when given (directly connected otherwise), with <paramref name="protocol"/>
    /// (RTPROT_STATIC unless told). The destination must have no bits set beyond the prefix. Fails with EEXIST if the
    /// same route exists, unless <paramref name="existingIsSuccess"/>.
    /// </summary>
    public void AddRoute(
        IPAddress destination, int prefixLength, int ifindex, IPAddress? gateway = null, int? metric = null,
        int table = RouteTable.Main, bool existingIsSuccess = false, byte protocol = RtProtocol.Static)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        var family = ValidateRoute(destination, prefixLength, gateway, metric, table);
        // A directly connected IPv4 route is link-scoped (as ip-route makes it); IPv6 routes are universe.
        var scope = family == AF_INET && gateway is null ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
        ExecuteAck(
            RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
            writer => WriteRoute(writer, family, destination, prefixLength, ifindex, gateway, metric, table, protocol, scope, RTN_UNICAST),
            ifindex, link => $"adding route {DescribeRoute(destination, prefixLength, gateway)} dev {link}",
            toleratedErrno: existingIsSuccess ? Errno.EEXIST : 0);
    }

    /// <summary>
    /// Deletes the route to <paramref name="destination"/>/<paramref name="prefixLength"/> in
    /// <paramref name="table"/>; the link (0 for any), gateway and metric narrow the match when given.
    /// Fails with ESRCH if no route matches, unless <paramref name="missingIsSuccess"/>.
    /// </summary>
    public void DeleteRoute(
        IPAddress destination, int prefixLength, int ifindex, IPAddress? gateway = null, int? metric = null,
        int table = RouteTable.Main, bool missingIsSuccess = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ifindex);
        var family = ValidateRoute(destination, prefixLength, gateway, metric, table);
        ExecuteAck(
            RTM_DELROUTE, 0,
            writer => WriteRoute(writer, family, destination, prefixLength, ifindex, gateway, metric, table, 0, RT_SCOPE_NOWHERE, RTN_UNSPEC),
            ifindex, link => $"deleting route {DescribeRoute(destination, prefixLength, gateway)}{(ifindex > 0 ? $" dev {link}" : string.Empty)}",
            toleratedErrno: missingIsSuccess ? Errno.ESRCH : 0);
    }

    /// <summary>
    /// The routes of one family in <paramref name="table"/> (every table when null). IPv6 dumps include the
    /// kernel's own routes (fe80::/64, multicast) as the kernel lists them.
    /// </summary>
    public IReadOnlyList<RouteInfo> ListRoutes(AddressFamily family, int? table = RouteTable.Main)
    {
        var familyByte = family switch
        {
            AddressFamily.InterNetwork => AF_INET,
            AddressFamily.InterNetworkV6 => AF_INET6,
            _ => throw new ArgumentException($"routes are listed for InterNetwork or InterNetworkV6, not {family}", nameof(family)),
        };
        var all = Dump(
            RTM_GETROUTE,
            writer => writer.AddFixedHeader(RTMSG_SIZE)[0] = familyByte,
            RTM_NEWROUTE, RtnetlinkDecoder.DecodeRoute,
            $"listing {family} routes");
        return all.Where(r => r.Family == family && (table is null || r.Table == table)).ToArray();
    }

    // ---- policy routing rules -------------------------------------------------------------------------

    /// <summary>
    /// Adds a rule that looks routes up in <paramref name="table"/> (<c>ip rule add [not] [fwmark M] table T
    /// [suppress_prefixlength N] [pref P] proto X</c>). Without <paramref name="priority"/> the kernel puts the rule just
    /// before the first rule with a priority above 0 (ahead of every rule added without one before it), as <c>ip rule</c>
    /// does. <paramref name="protocol"/> (FRA_PROTOCOL, Linux 4.17 on) marks who added it. Fails with EEXIST when an equal
    /// rule exists, unless <paramref name="existingIsSuccess"/>. Needs CAP_NET_ADMIN.
    /// </summary>
    public void AddRule(
        AddressFamily family, int table, uint? firewallMark = null, bool invert = false, int? suppressPrefixLength = null,
        int? priority = null, byte protocol = RtProtocol.Static, bool existingIsSuccess = false)
    {
        var familyByte = RuleFamily(family);
        ValidateRule(table, suppressPrefixLength, priority);
        ExecuteAck(
            RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL,
            writer => WriteRule(writer, familyByte, table, firewallMark, invert, suppressPrefixLength, priority, protocol),
            0, _ => $"adding {Describe(family, table, firewallMark, invert, suppressPrefixLength, priority)}",
            toleratedErrno: existingIsSuccess ? Errno.EEXIST : 0);
    }

    /// <summary>
    /// Deletes the rule equal to <paramref name="rule"/> (as listed by <see cref="ListRules"/>: its priority, table,
    /// mark, inversion and suppression). Fails with ENOENT when none matches, unless <paramref name="missingIsSuccess"/>.
    /// A rule with source, destination or interface selectors is refused: RouterHost writes none and would not match it.
    /// </summary>
    public void DeleteRule(RuleInfo rule, bool missingIsSuccess = false)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.HasSelectors)
        {
            throw new ArgumentException($"{rule} selects by source, destination or interface, which DeleteRule does not write", nameof(rule));
        }

        var familyByte = RuleFamily(rule.Family);
        ValidateRule(rule.Table, rule.SuppressPrefixLength, rule.Priority);
        ExecuteAck(
            RTM_DELRULE, 0,
            writer => WriteRule(writer, familyByte, rule.Table, rule.FirewallMark, rule.Invert, rule.SuppressPrefixLength, rule.Priority, rule.Protocol, rule.FirewallMask),
            0, _ => $"deleting {rule}",
            toleratedErrno: missingIsSuccess ? Errno.ENOENT : 0);
    }

    /// <summary>The policy routing rules of one family, in the kernel's order (by priority).</summary>
    public IReadOnlyList<RuleInfo> ListRules(AddressFamily family)
    {
        var familyByte = RuleFamily(family);
        var all = Dump(
            RTM_GETRULE,
            writer => writer.AddFixedHeader(FIB_RULE_HDR_SIZE)[0] = familyByte,
            RTM_NEWRULE, RtnetlinkDecoder.DecodeRule,
            $"listing {family} rules");
        return all.Where(r => r.Family == family).ToArray();
    }

    private static byte RuleFamily(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => AF_INET,
        AddressFamily.InterNetworkV6 => AF_INET6,
        _ => throw new ArgumentException($"rules are for InterNetwork or InterNetworkV6, not {family}", nameof(family)),
    };

    private static void ValidateRule(int table, int? suppressPrefixLength, int? priority)
    {
        if (table <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(table), table, "a routing table id is positive (RouteTable.Main is 254)");
        }

        if (suppressPrefixLength is < 0 or > 128)
        {
            throw new ArgumentOutOfRangeException(nameof(suppressPrefixLength), suppressPrefixLength, "a prefix length is 0..128");
        }

        if (priority is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(priority), priority, "a rule priority is not negative");
        }
    }

    private static void WriteRule(
        NetlinkRequestWriter writer, byte family, int table, uint? firewallMark, bool invert, int? suppressPrefixLength,
        int? priority, byte protocol, uint? firewallMask = null)
    {
        var header = writer.AddFixedHeader(FIB_RULE_HDR_SIZE);
        header[0] = family;
        header[4] = table < 256 ? (byte)table : RT_TABLE_UNSPEC;
        header[7] = FR_ACT_TO_TBL;
        NetlinkRequestWriter.WriteUInt32(header[8..], invert ? FIB_RULE_INVERT : 0);
        writer.AddUInt32(FRA_TABLE, (uint)table);
        if (priority is int p)
        {
            writer.AddUInt32(FRA_PRIORITY, (uint)p);
        }

        if (firewallMark is uint mark)
        {
            writer.AddUInt32(FRA_FWMARK, mark);
            if (firewallMask is uint mask)
            {
                writer.AddUInt32(FRA_FWMASK, mask);
            }
        }

        if (suppressPrefixLength is int length)
        {
            writer.AddUInt32(FRA_SUPPRESS_PREFIXLEN, (uint)length);
        }

        if (protocol != 0)
        {
            writer.AddUInt8(FRA_PROTOCOL, protocol);
        }
    }

    private static string Describe(AddressFamily family, int table, uint? mark, bool invert, int? suppress, int? priority) =>
        new RuleInfo(family, priority, table, FR_ACT_TO_TBL, invert, mark, null, suppress, 0, false).ToString();

    // ---- neighbours -------------------------------------------------------------------------------------

    /// <summary>The neighbour entry for <paramref name="address"/> on the link, or null when there is none.</summary>
    public NeighbourInfo? GetNeighbour(int ifindex, IPAddress address)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        var family = ValidateAddress(address, 0, nameof(address));
        var entries = Execute(
            RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_ACK,
            writer =>
            {
                WriteNd(writer.AddFixedHeader(NDMSG_SIZE), family, ifindex, 0, 0);
                writer.AddAddress(NDA_DST, address);
            },
            RTM_NEWNEIGH, RtnetlinkDecoder.DecodeNeighbour,
            ifindex, link => $"looking up neighbour {address} on {link}",
            toleratedErrno: Errno.ENOENT);
        return entries.Count > 0 ? entries[0] : null;
    }

    /// <summary>The neighbour entries of the link, both families.</summary>
    public IReadOnlyList<NeighbourInfo> ListNeighbours(int ifindex)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        var all = Dump(
            RTM_GETNEIGH,
            writer =>
            {
                // A strictly checked neighbour dump wants the index as NDA_IFINDEX, not in the header.
                writer.AddFixedHeader(NDMSG_SIZE);
                writer.AddUInt32(NDA_IFINDEX, (uint)ifindex);
            },
            RTM_NEWNEIGH, RtnetlinkDecoder.DecodeNeighbour,
            $"listing neighbours of ifindex {ifindex}");
        return all.Where(n => n.InterfaceIndex == ifindex).ToArray();
    }

    /// <summary>
    /// Asks the kernel to resolve <paramref name="address"/> on the link: RTM_NEWNEIGH with NTF_USE and
    /// NLM_F_CREATE creates the entry if needed and runs neigh_event_send on it, as a packet sent to that
    /// neighbour would, so the kernel sends an ARP request or neighbour solicitation. It returns at once;
    /// poll <see cref="GetNeighbour"/> for the result. An existing entry's address and state are not changed
    /// (a permanent entry stays as it is).
    /// </summary>
    public void RequestNeighbourResolution(int ifindex, IPAddress address)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        var family = ValidateAddress(address, 0, nameof(address));
        ExecuteAck(
            RTM_NEWNEIGH, NLM_F_CREATE,
            writer =>
            {
                WriteNd(writer.AddFixedHeader(NDMSG_SIZE), family, ifindex, NUD_NONE, NTF_USE);
                writer.AddAddress(NDA_DST, address);
            },
            ifindex, link => $"requesting resolution of neighbour {address} on {link}");
    }

    /// <summary>Closes the socket.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _socket.Dispose();
        }
    }

    // ---- machinery --------------------------------------------------------------------------------------

    private void ExecuteAck(ushort type, ushort extraFlags, Action<NetlinkRequestWriter> build, int ifindex, Func<string, string> operation, int toleratedErrno = 0) =>
        Execute<LinkInfo>(type, (ushort)(NLM_F_REQUEST | NLM_F_ACK | extraFlags), build, 0, null, ifindex, operation, toleratedErrno);

    private List<T> Dump<T>(ushort type, Action<NetlinkRequestWriter> build, ushort replyType, NetlinkMessageDecoder<T> decoder, string operation)
        where T : class
    {
        // A dump that raced with a change is flagged NLM_F_DUMP_INTR; run it again for a consistent view,
        // and after a few tries return the last one (a busy router may never be still).
        List<T> results = [];
        for (var attempt = 0; attempt < MaxDumpAttempts; attempt++)
        {
            results = Execute(type, NLM_F_REQUEST | NLM_F_DUMP, build, replyType, decoder, 0, _ => operation, 0, out var interrupted);
            if (!interrupted)
            {
                break;
            }
        }

        return results;
    }

    private List<T> Execute<T>(
        ushort type, ushort flags, Action<NetlinkRequestWriter> build, ushort replyType, NetlinkMessageDecoder<T>? decoder,
        int ifindex, Func<string, string> operation, int toleratedErrno = 0)
        where T : class =>
        Execute(type, flags, build, replyType, decoder, ifindex, operation, toleratedErrno, out _);

    private List<T> Execute<T>(
        ushort type, ushort flags, Action<NetlinkRequestWriter> build, ushort replyType, NetlinkMessageDecoder<T>? decoder,
        int ifindex, Func<string, string> operation, int toleratedErrno, out bool interrupted)
        where T : class
    {
        var results = new List<T>();
        int errno;
        string? kernelMessage;
        interrupted = false;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var sequence = unchecked(++_sequence);
            if (sequence == 0)
            {
                sequence = _sequence = 1;
            }

            _writer.Begin(type, flags, sequence);
            build(_writer);
            var basicOperation = ifindex > 0 ? operation($"ifindex {ifindex}") : operation(string.Empty);
            _socket.Send(_writer.Finish(), basicOperation);
            try
            {
                while (true)
                {
                    var length = _socket.Receive(_receiveBuffer, _replyTimeout, basicOperation);
                    var status = NetlinkReplyProcessor.ProcessDatagram(
                        _receiveBuffer.AsSpan(0, length), sequence, replyType, decoder, results, ref interrupted,
                        out errno, out kernelMessage);
                    if (status == ReplyStatus.Done)
                    {
                        return results;
                    }

                    if (status == ReplyStatus.KernelError)
                    {
                        break;
                    }
                }
            }
            catch (MalformedNetlinkMessageException e)
            {
                throw e.WithOperation(basicOperation);
            }
        }

        if (errno == toleratedErrno)
        {
            results.Clear();
            return results;
        }

        // Outside the lock: naming the link costs a request of its own, made only when there is an error to report.
        throw new NetlinkException(ifindex > 0 ? operation(DescribeLink(ifindex)) : operation(string.Empty), errno, kernelMessage);
    }

    private string DescribeLink(int ifindex)
    {
        try
        {
            var link = FindLink(ifindex);
            return link is null ? $"ifindex {ifindex} (no such link)" : $"{link.Name} (ifindex {ifindex})";
        }
        catch (NetlinkException)
        {
            return $"ifindex {ifindex}";
        }
    }

    private static void WriteIfInfo(Span<byte> ifinfomsg, int index, uint flags, uint change)
    {
        ifinfomsg[0] = AF_UNSPEC;
        NetlinkRequestWriter.WriteUInt32(ifinfomsg[4..], (uint)index);
        NetlinkRequestWriter.WriteUInt32(ifinfomsg[8..], flags);
        NetlinkRequestWriter.WriteUInt32(ifinfomsg[12..], change);
    }

    private static void WriteIfAddr(Span<byte> ifaddrmsg, byte family, int prefixLength, byte flags, int index)
    {
        ifaddrmsg[0] = family;
        ifaddrmsg[1] = (byte)prefixLength;
        ifaddrmsg[2] = flags;
        ifaddrmsg[3] = RT_SCOPE_UNIVERSE;
        NetlinkRequestWriter.WriteUInt32(ifaddrmsg[4..], (uint)index);
    }

    private static void WriteNd(Span<byte> ndmsg, byte family, int index, ushort state, byte flags)
    {
        ndmsg[0] = family;
        NetlinkRequestWriter.WriteUInt32(ndmsg[4..], (uint)index);
        NetlinkRequestWriter.WriteUInt16(ndmsg[8..], state);
        ndmsg[10] = flags;
    }

    private static void WriteRoute(
        NetlinkRequestWriter writer, byte family, IPAddress destination, int prefixLength, int ifindex, IPAddress? gateway,
        int? metric, int table, byte protocol, byte scope, byte type)
    {
        var rtmsg = writer.AddFixedHeader(RTMSG_SIZE);
        rtmsg[0] = family;
        rtmsg[1] = (byte)prefixLength;
        rtmsg[4] = table < 256 ? (byte)table : RT_TABLE_UNSPEC;
        rtmsg[5] = protocol;
        rtmsg[6] = scope;
        rtmsg[7] = type;
        if (prefixLength > 0)
        {
            writer.AddAddress(RTA_DST, destination);
        }

        if (ifindex > 0)
        {
            writer.AddUInt32(RTA_OIF, (uint)ifindex);
        }

        if (gateway is not null)
        {
            writer.AddAddress(RTA_GATEWAY, gateway);
        }

        if (metric is { } priority)
        {
            writer.AddUInt32(RTA_PRIORITY, (uint)priority);
        }

        writer.AddUInt32(RTA_TABLE, (uint)table);
    }

    private static byte ValidateRoute(IPAddress destination, int prefixLength, IPAddress? gateway, int? metric, int table)
    {
        var family = ValidateAddress(destination, prefixLength, nameof(destination));
        if (gateway is not null && gateway.AddressFamily != destination.AddressFamily)
        {
            throw new ArgumentException($"gateway {gateway} is not of the destination's family ({destination.AddressFamily})", nameof(gateway));
        }

        if (metric is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(metric), metric, "a route metric is not negative");
        }

        if (table <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(table), table, "a routing table id is positive (RouteTable.Main is 254)");
        }

        Span<byte> bytes = stackalloc byte[16];
        destination.TryWriteBytes(bytes, out var length);
        for (var bit = prefixLength; bit < length * 8; bit++)
        {
            if ((bytes[bit / 8] & (0x80 >> (bit % 8))) != 0)
            {
                throw new ArgumentException(
                    $"destination {destination}/{prefixLength} has bits set beyond the prefix length", nameof(destination));
            }
        }

        return family;
    }

    private static byte ValidateAddress(IPAddress address, int prefixLength, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(address, parameterName);
        var (family, max) = address.AddressFamily switch
        {
            AddressFamily.InterNetwork => (AF_INET, 32),
            AddressFamily.InterNetworkV6 => (AF_INET6, 128),
            _ => throw new ArgumentException($"{address} is neither IPv4 nor IPv6", parameterName),
        };
        if (prefixLength < 0 || prefixLength > max)
        {
            throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength, $"a prefix length for {address.AddressFamily} is 0..{max}");
        }

        return family;
    }

    private static void ValidateLinkName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Encoding.UTF8.GetByteCount(name) >= IFNAMSIZ || name.Contains('\0', StringComparison.Ordinal) || name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"\"{name}\" is not a valid interface name (at most {IFNAMSIZ - 1} bytes, no '/' or NUL)", nameof(name));
        }
    }

    private static string DescribeRoute(IPAddress destination, int prefixLength, IPAddress? gateway) =>
        gateway is null ? $"{destination}/{prefixLength}" : $"{destination}/{prefixLength} via {gateway}";
}
