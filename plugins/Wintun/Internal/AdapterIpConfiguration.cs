using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using static RouterHost.Plugins.Wintun.Interop.Errors;
using static RouterHost.Plugins.Wintun.Interop.IpHelper;

namespace RouterHost.Plugins.Wintun.Internal;

/// <summary>
/// Gives the adapter its MTU, addresses and routes through the IP Helper API, keyed by its NET_LUID, and takes away
/// on <see cref="Remove"/> exactly what <see cref="Apply"/> added: an address or route that already existed (left by
/// another tool on an opened adapter) is kept and not removed, and each MTU goes back to what it was.
/// <para>
/// Rows are made the way the API asks: <c>Initialize*</c> first (defaults, infinite lifetimes), then the fields that
/// matter. Addresses are created in the preferred DAD state (a Wintun adapter has no link layer to probe, so an
/// address left tentative would never become usable); routes are static management routes (MIB_IPPROTO_NETMGMT) whose
/// next hop is on-link (all zeros) unless a <c>Via</c> is given. For IPv4, SetIpInterfaceEntry wants
/// SitePrefixLength 0, so it is cleared after GetIpInterfaceEntry.
/// </para>
/// </summary>
internal sealed partial class AdapterIpConfiguration
{
    private readonly IIpHelperApi _api;
    private readonly ulong _luid;
    private readonly string _adapter;
    private readonly ILogger _logger;
    private readonly List<MIB_UNICASTIPADDRESS_ROW> _addedAddresses = [];
    private readonly List<MIB_IPFORWARD_ROW2> _addedRoutes = [];
    private readonly List<(ushort Family, uint Mtu)> _changedMtus = [];

    public AdapterIpConfiguration(IIpHelperApi api, ulong luid, string adapter, ILogger logger)
    {
        _api = api;
        _luid = luid;
        _adapter = adapter;
        _logger = logger;
    }

    /// <summary>Addresses this run added (and will remove).</summary>
    public int AddedAddresses => _addedAddresses.Count;

    /// <summary>Routes this run added (and will remove).</summary>
    public int AddedRoutes => _addedRoutes.Count;

    /// <summary>Sets the MTU, then adds the addresses, then the routes. Throws <see cref="WintunException"/> on the first failure; what was added so far stays recorded for <see cref="Remove"/>.</summary>
    public void Apply(int mtu, IReadOnlyList<WintunAddress> addresses, IReadOnlyList<WintunRoute> routes)
    {
        SetMtu(AF_INET, mtu);
        if (mtu >= WintunSettings.MinIPv6Mtu)
        {
            SetMtu(AF_INET6, mtu);
        }

        foreach (WintunAddress address in addresses)
        {
            _api.InitializeUnicastIpAddressEntry(out MIB_UNICASTIPADDRESS_ROW row);
            FillAddressRow(ref row, _luid, address);
            int result = _api.CreateUnicastIpAddressEntry(row);
            if (result == ERROR_OBJECT_ALREADY_EXISTS)
            {
                Log.AddressExisted(_logger, address.ToString(), _adapter);
                continue;
            }

            if (result != ERROR_SUCCESS)
            {
                throw new WintunException($"adding address {address} to Wintun adapter '{_adapter}' (CreateUnicastIpAddressEntry)", result, Hint(result));
            }

            _addedAddresses.Add(row);
        }

        foreach (WintunRoute route in routes)
        {
            _api.InitializeIpForwardEntry(out MIB_IPFORWARD_ROW2 row);
            FillRouteRow(ref row, _luid, route);
            int result = _api.CreateIpForwardEntry2(row);
            if (result == ERROR_OBJECT_ALREADY_EXISTS)
            {
                Log.RouteExisted(_logger, route.ToString(), _adapter);
                continue;
            }

            if (result != ERROR_SUCCESS)
            {
                throw new WintunException($"adding route {route} to Wintun adapter '{_adapter}' (CreateIpForwardEntry2)", result, Hint(result));
            }

            _addedRoutes.Add(row);
        }
    }

    /// <summary>Removes the routes, then the addresses this run added (newest first), then restores each MTU. Best effort: failures are logged.</summary>
    public void Remove()
    {
        for (int i = _addedRoutes.Count - 1; i >= 0; i--)
        {
            Check(_api.DeleteIpForwardEntry2(_addedRoutes[i]), "route");
        }

        _addedRoutes.Clear();
        for (int i = _addedAddresses.Count - 1; i >= 0; i--)
        {
            Check(_api.DeleteUnicastIpAddressEntry(_addedAddresses[i]), "address");
        }

        _addedAddresses.Clear();
        for (int i = _changedMtus.Count - 1; i >= 0; i--)
        {
            var (family, mtu) = _changedMtus[i];
            if (ReadInterface(family, out MIB_IPINTERFACE_ROW row) == ERROR_SUCCESS)
            {
                row.NlMtu = mtu;
                Check(_api.SetIpInterfaceEntry(ref row), "MTU");
            }
        }

        _changedMtus.Clear();
    }

    /// <summary>Fills an initialized address row: the address, its on-link prefix length, the adapter, preferred DAD state.</summary>
    internal static void FillAddressRow(ref MIB_UNICASTIPADDRESS_ROW row, ulong luid, WintunAddress address)
    {
        row.Address = SocketAddress(address.Address);
        row.InterfaceLuid.Value = luid;
        row.OnLinkPrefixLength = (byte)address.PrefixLength;
        row.DadState = NL_DAD_STATE.IpDadStatePreferred;
    }

    /// <summary>Fills an initialized route row: destination prefix, next hop (on-link when none), metric, static management route.</summary>
    internal static void FillRouteRow(ref MIB_IPFORWARD_ROW2 row, ulong luid, WintunRoute route)
    {
        row.InterfaceLuid.Value = luid;
        row.DestinationPrefix.Prefix = SocketAddress(route.Destination);
        row.DestinationPrefix.PrefixLength = (byte)route.PrefixLength;
        row.NextHop = route.Via is { } via
            ? SocketAddress(via)
            : SocketAddress(route.Destination.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any);
        row.Metric = (uint)route.Metric;
        row.Protocol = NL_ROUTE_PROTOCOL.RouteProtocolNetMgmt;
    }

    /// <summary>A SOCKADDR_INET holding <paramref name="address"/> (port 0, no flow label, no scope).</summary>
    internal static unsafe SOCKADDR_INET SocketAddress(IPAddress address)
    {
        SOCKADDR_INET socketAddress = default;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            socketAddress.Ipv4.sin_family = AF_INET;
            address.TryWriteBytes(new Span<byte>(socketAddress.Ipv4.sin_addr, 4), out _);
        }
        else
        {
            socketAddress.Ipv6.sin6_family = AF_INET6;
            address.TryWriteBytes(new Span<byte>(socketAddress.Ipv6.sin6_addr, 16), out _);
        }

        return socketAddress;
    }

    private void SetMtu(ushort family, int mtu)
    {
        int result = ReadInterface(family, out MIB_IPINTERFACE_ROW row);
        if (result == ERROR_NOT_FOUND || result == ERROR_FILE_NOT_FOUND)
        {
            // The protocol is not bound to the adapter (IPv6 switched off, say): nothing to set.
            Log.FamilyAbsent(_logger, _adapter, family == AF_INET ? "IPv4" : "IPv6");
            return;
        }

        if (result != ERROR_SUCCESS)
        {
            throw new WintunException($"reading the {(family == AF_INET ? "IPv4" : "IPv6")} interface of Wintun adapter '{_adapter}' (GetIpInterfaceEntry)", result, Hint(result));
        }

        if (row.NlMtu == (uint)mtu)
        {
            return;
        }

        uint previous = row.NlMtu;
        row.NlMtu = (uint)mtu;
        result = _api.SetIpInterfaceEntry(ref row);
        if (result != ERROR_SUCCESS)
        {
            throw new WintunException($"setting MTU {mtu} ({(family == AF_INET ? "IPv4" : "IPv6")}) on Wintun adapter '{_adapter}' (SetIpInterfaceEntry)", result, Hint(result));
        }

        _changedMtus.Add((family, previous));
    }

    private int ReadInterface(ushort family, out MIB_IPINTERFACE_ROW row)
    {
        _api.InitializeIpInterfaceEntry(out row);
        row.Family = family;
        row.InterfaceLuid.Value = _luid;
        int result = _api.GetIpInterfaceEntry(ref row);
        if (family == AF_INET)
        {
            row.SitePrefixLength = 0;
        }

        return result;
    }

    private void Check(int result, string what)
    {
        if (result != ERROR_SUCCESS && result != ERROR_NOT_FOUND && result != ERROR_FILE_NOT_FOUND)
        {
            Log.RemoveFailed(_logger, what, _adapter, Win32Error.Describe(result));
        }
    }

    private static string? Hint(int error) => error switch
    {
        ERROR_ACCESS_DENIED => "RouterHost must run as an administrator or LocalSystem to configure interfaces",
        ERROR_INVALID_PARAMETER => "Windows refused the value for this adapter",
        _ => null,
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 402, Level = LogLevel.Information, Message = "Address {Address} on Wintun adapter {Adapter} already existed; keeping it and leaving it in place at exit")]
        public static partial void AddressExisted(ILogger logger, string address, string adapter);

        [LoggerMessage(EventId = 403, Level = LogLevel.Information, Message = "Route {Route} on Wintun adapter {Adapter} already existed; keeping it and leaving it in place at exit")]
        public static partial void RouteExisted(ILogger logger, string route, string adapter);

        [LoggerMessage(EventId = 404, Level = LogLevel.Information, Message = "Wintun adapter {Adapter} has no {Family} interface; its MTU is left alone")]
        public static partial void FamilyAbsent(ILogger logger, string adapter, string family);

        [LoggerMessage(EventId = 405, Level = LogLevel.Warning, Message = "Could not remove the {What} added to Wintun adapter {Adapter}: {Error}")]
        public static partial void RemoveFailed(ILogger logger, string what, string adapter, string error);
    }
}
