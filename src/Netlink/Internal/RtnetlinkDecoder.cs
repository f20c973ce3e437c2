using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using static RouterHost.Netlink.Interop.Netlink;

namespace RouterHost.Netlink;

/// <summary>
/// Decodes rtnetlink messages into the public records. Every fixed header is length-checked, every
/// attribute the records use is size-checked; a message of a family other than IPv4/IPv6 decodes to null.
/// </summary>
internal static class RtnetlinkDecoder
{
    private const byte AF_INET = 2;
    private const byte AF_INET6 = 10;

    public static LinkInfo DecodeLink(NetlinkMessage message)
    {
        var payload = RequireFixedHeader(message, IFINFOMSG_SIZE, "ifinfomsg");
        var deviceType = HostOrder.ReadUInt16(payload[2..]);
        var index = HostOrder.ReadInt32(payload[4..]);
        var flags = HostOrder.ReadUInt32(payload[8..]);
        if (index <= 0)
        {
            throw new MalformedNetlinkMessageException($"link message has ifi_index {index}; indexes are positive", message.PayloadOffset + 4);
        }

        string? name = null;
        var mtu = 0;
        PhysicalAddress? hardwareAddress = null;
        LinkStatistics? statistics = null;
        uint? transmitQueueLength = null;
        var attributes = new NetlinkAttributeReader(payload[IFINFOMSG_SIZE..], message.PayloadOffset + IFINFOMSG_SIZE);
        while (attributes.TryRead(out var attribute))
        {
            switch (attribute.Type)
            {
                case IFLA_IFNAME:
                    name = attribute.GetString();
                    break;
                case IFLA_MTU:
                    mtu = unchecked((int)attribute.GetUInt32("IFLA_MTU"));
                    break;
                case IFLA_ADDRESS:
                    hardwareAddress = attribute.GetLinkLayerAddress("IFLA_ADDRESS");
                    break;
                case IFLA_STATS64:
                    statistics = attribute.GetLinkStatistics("IFLA_STATS64");
                    break;
                case IFLA_TXQLEN:
                    transmitQueueLength = attribute.GetUInt32("IFLA_TXQLEN");
                    break;
            }
        }

        if (string.IsNullOrEmpty(name))
        {
            throw new MalformedNetlinkMessageException($"link message for ifindex {index} carries no IFLA_IFNAME", message.Offset);
        }

        return new LinkInfo(index, name, mtu, flags, hardwareAddress, deviceType, statistics, transmitQueueLength);
    }

    public static AddressInfo? DecodeAddress(NetlinkMessage message)
    {
        var payload = RequireFixedHeader(message, IFADDRMSG_SIZE, "ifaddrmsg");
        if (!TryFamily(payload[0], out var family))
        {
            return null;
        }

        var prefixLength = payload[1];
        RequirePrefixLength(prefixLength, family, "ifa_prefixlen", message.PayloadOffset + 1);
        var flags = (uint)payload[2];
        var scope = payload[3];
        var index = HostOrder.ReadInt32(payload[4..]);

        IPAddress? address = null;
        IPAddress? local = null;
        string? label = null;
        byte protocol = 0;
        var attributes = new NetlinkAttributeReader(payload[IFADDRMSG_SIZE..], message.PayloadOffset + IFADDRMSG_SIZE);
        while (attributes.TryRead(out var attribute))
        {
            switch (attribute.Type)
            {
                case IFA_ADDRESS:
                    address = attribute.GetAddress("IFA_ADDRESS", family);
                    break;
                case IFA_LOCAL:
                    local = attribute.GetAddress("IFA_LOCAL", family);
                    break;
                case IFA_LABEL:
                    label = attribute.GetString();
                    break;
                case IFA_FLAGS:
                    flags = attribute.GetUInt32("IFA_FLAGS");
                    break;
                case IFA_PROTO:
                    protocol = attribute.GetUInt8("IFA_PROTO");
                    break;
            }
        }

        var own = local ?? address
            ?? throw new MalformedNetlinkMessageException("address message carries neither IFA_LOCAL nor IFA_ADDRESS", message.Offset);
        var peer = local is not null && address is not null && !local.Equals(address) ? address : null;
        return new AddressInfo(index, own, prefixLength, (AddressFlags)flags, scope, label, peer, protocol);
    }

    public static RouteInfo? DecodeRoute(NetlinkMessage message)
    {
        var payload = RequireFixedHeader(message, RTMSG_SIZE, "rtmsg");
        if (!TryFamily(payload[0], out var family))
        {
            return null;
        }

        var prefixLength = payload[1];
        RequirePrefixLength(prefixLength, family, "rtm_dst_len", message.PayloadOffset + 1);
        int table = payload[4];
        var protocol = payload[5];
        var scope = payload[6];
        var type = payload[7];

        IPAddress? destination = null;
        IPAddress? gateway = null;
        IPAddress? preferredSource = null;
        int? outputInterface = null;
        int? metric = null;
        var attributes = new NetlinkAttributeReader(payload[RTMSG_SIZE..], message.PayloadOffset + RTMSG_SIZE);
        while (attributes.TryRead(out var attribute))
        {
            switch (attribute.Type)
            {
                case RTA_DST:
                    destination = attribute.GetAddress("RTA_DST", family);
                    break;
                case RTA_GATEWAY:
                    gateway = attribute.GetAddress("RTA_GATEWAY", family);
                    break;
                case RTA_PREFSRC:
                    preferredSource = attribute.GetAddress("RTA_PREFSRC", family);
                    break;
                case RTA_OIF:
                    outputInterface = unchecked((int)attribute.GetUInt32("RTA_OIF"));
                    break;
                case RTA_PRIORITY:
                    metric = unchecked((int)attribute.GetUInt32("RTA_PRIORITY"));
                    break;
                case RTA_TABLE:
                    table = unchecked((int)attribute.GetUInt32("RTA_TABLE"));
                    break;
            }
        }

        destination ??= family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;
        return new RouteInfo(family, destination, prefixLength, gateway, outputInterface, metric, table, protocol, scope, type, preferredSource);
    }

    public static RuleInfo? DecodeRule(NetlinkMessage message)
    {
        var payload = RequireFixedHeader(message, FIB_RULE_HDR_SIZE, "fib_rule_hdr");
        if (!TryFamily(payload[0], out var family))
        {
            return null;
        }

        RequirePrefixLength(payload[1], family, "fib_rule_hdr.dst_len", message.PayloadOffset + 1);
        RequirePrefixLength(payload[2], family, "fib_rule_hdr.src_len", message.PayloadOffset + 2);
        int table = payload[4];
        var action = payload[7];
        var flags = HostOrder.ReadUInt32(payload[8..]);
        int? priority = null;
        uint? mark = null;
        uint? mask = null;
        int? suppress = null;
        byte protocol = 0;
        var selectors = payload[1] != 0 || payload[2] != 0;
        var attributes = new NetlinkAttributeReader(payload[FIB_RULE_HDR_SIZE..], message.PayloadOffset + FIB_RULE_HDR_SIZE);
        while (attributes.TryRead(out var attribute))
        {
            switch (attribute.Type)
            {
                case FRA_PRIORITY:
                    priority = unchecked((int)attribute.GetUInt32("FRA_PRIORITY"));
                    break;
                case FRA_TABLE:
                    table = unchecked((int)attribute.GetUInt32("FRA_TABLE"));
                    break;
                case FRA_FWMARK:
                    mark = attribute.GetUInt32("FRA_FWMARK");
                    break;
                case FRA_FWMASK:
                    mask = attribute.GetUInt32("FRA_FWMASK");
                    break;
                case FRA_SUPPRESS_PREFIXLEN:
                    // The kernel reports -1 (as a u32) when the rule suppresses nothing.
                    int length = unchecked((int)attribute.GetUInt32("FRA_SUPPRESS_PREFIXLEN"));
                    suppress = length < 0 ? null : length;
                    break;
                case FRA_PROTOCOL:
                    protocol = attribute.GetUInt8("FRA_PROTOCOL");
                    break;
                case FRA_SRC:
                case FRA_DST:
                case FRA_IIFNAME:
                case FRA_OIFNAME:
                    selectors = true;
                    break;
            }
        }

        return new RuleInfo(family, priority, table, action, (flags & FIB_RULE_INVERT) != 0, mark, mask, suppress, protocol, selectors);
    }

    public static NeighbourInfo? DecodeNeighbour(NetlinkMessage message)
    {
        var payload = RequireFixedHeader(message, NDMSG_SIZE, "ndmsg");
        if (!TryFamily(payload[0], out var family))
        {
            return null;
        }

        var index = HostOrder.ReadInt32(payload[4..]);
        var state = (NeighbourState)HostOrder.ReadUInt16(payload[8..]);
        var flags = payload[10];

        IPAddress? destination = null;
        PhysicalAddress? linkLayerAddress = null;
        var attributes = new NetlinkAttributeReader(payload[NDMSG_SIZE..], message.PayloadOffset + NDMSG_SIZE);
        while (attributes.TryRead(out var attribute))
        {
            switch (attribute.Type)
            {
                case NDA_DST:
                    destination = attribute.GetAddress("NDA_DST", family);
                    break;
                case NDA_LLADDR:
                    linkLayerAddress = attribute.GetLinkLayerAddress("NDA_LLADDR");
                    break;
            }
        }

        if (destination is null)
        {
            throw new MalformedNetlinkMessageException("neighbour message carries no NDA_DST", message.Offset);
        }

        return new NeighbourInfo(index, destination, linkLayerAddress, state, flags);
    }

    /// <summary>
    /// Decodes NLMSG_ERROR: <paramref name="error"/> is 0 for an ACK or a negative errno;
    /// <paramref name="kernelMessage"/> is the extended-ACK text when present.
    /// </summary>
    public static void DecodeError(NetlinkMessage message, out int error, out string? kernelMessage)
    {
        var payload = message.Payload;
        if (payload.Length < NLMSGERR_SIZE)
        {
            throw new MalformedNetlinkMessageException(
                $"NLMSG_ERROR is truncated: {payload.Length} payload bytes, struct nlmsgerr needs {NLMSGERR_SIZE}", message.Offset);
        }

        error = HostOrder.ReadInt32(payload);
        if (error > 0)
        {
            throw new MalformedNetlinkMessageException($"NLMSG_ERROR carries a positive error {error}; errors are negative", message.PayloadOffset);
        }

        kernelMessage = null;
        if (!message.HasFlag(NLM_F_ACK_TLVS))
        {
            return;
        }

        // The TLVs follow the echoed request: just its header when NLM_F_CAPPED, else the whole request.
        var tlvStart = NLMSGERR_SIZE;
        if (!message.HasFlag(NLM_F_CAPPED))
        {
            var echoedLength = HostOrder.ReadUInt32(payload[4..]);
            if (echoedLength < NLMSG_HDRLEN || echoedLength > (uint)(payload.Length - 4))
            {
                throw new MalformedNetlinkMessageException(
                    $"NLMSG_ERROR echoes a request whose nlmsg_len {echoedLength} does not fit its {payload.Length - 4} bytes",
                    message.PayloadOffset + 4);
            }

            tlvStart = Math.Min(payload.Length, 4 + Alignment.Align((int)echoedLength));
        }

        kernelMessage = ReadExtendedAck(payload[tlvStart..], message.PayloadOffset + tlvStart);
    }

    /// <summary>
    /// Decodes NLMSG_DONE: a dump's end. Its optional payload is an int error (negative errno) followed by
    /// extended-ACK TLVs when NLM_F_ACK_TLVS is set.
    /// </summary>
    public static void DecodeDone(NetlinkMessage message, out int error, out string? kernelMessage)
    {
        error = 0;
        kernelMessage = null;
        var payload = message.Payload;
        if (payload.IsEmpty)
        {
            return;
        }

        if (payload.Length < 4)
        {
            throw new MalformedNetlinkMessageException($"NLMSG_DONE payload is {payload.Length} bytes; its error code needs 4", message.PayloadOffset);
        }

        error = HostOrder.ReadInt32(payload);
        if (error > 0)
        {
            throw new MalformedNetlinkMessageException($"NLMSG_DONE carries a positive error {error}; errors are negative", message.PayloadOffset);
        }

        if (message.HasFlag(NLM_F_ACK_TLVS))
        {
            kernelMessage = ReadExtendedAck(payload[4..], message.PayloadOffset + 4);
        }
    }

    private static string? ReadExtendedAck(ReadOnlySpan<byte> tlvs, int baseOffset)
    {
        string? text = null;
        var attributes = new NetlinkAttributeReader(tlvs, baseOffset);
        while (attributes.TryRead(out var attribute))
        {
            if (attribute.Type == NLMSGERR_ATTR_MSG)
            {
                text = attribute.GetString();
            }
        }

        return text;
    }

    private static ReadOnlySpan<byte> RequireFixedHeader(NetlinkMessage message, int size, string structName)
    {
        if (message.Payload.Length < size)
        {
            throw new MalformedNetlinkMessageException(
                $"message type {message.Type} has {message.Payload.Length} payload bytes, shorter than its {size}-byte struct {structName}",
                message.Offset);
        }

        return message.Payload;
    }

    private static bool TryFamily(byte value, out AddressFamily family)
    {
        family = value switch
        {
            AF_INET => AddressFamily.InterNetwork,
            AF_INET6 => AddressFamily.InterNetworkV6,
            _ => AddressFamily.Unspecified,
        };
        return family != AddressFamily.Unspecified;
    }

    private static void RequirePrefixLength(byte prefixLength, AddressFamily family, string field, int offset)
    {
        var max = family == AddressFamily.InterNetwork ? 32 : 128;
        if (prefixLength > max)
        {
            throw new MalformedNetlinkMessageException($"{field} {prefixLength} exceeds {max} for {family}", offset);
        }
    }
}
