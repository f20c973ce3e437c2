using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;
using RouterHost.Plugins.Wintun.Internal;
using static RouterHost.Plugins.Wintun.Interop.Errors;

namespace RouterHost.Plugins.Wintun;

/// <summary>
/// A Wintun adapter as a router interface: creates (or opens) the adapter with its name, tunnel type and GUID,
/// starts one session with the configured ring capacity, gives it its MTU, addresses and routes, and on dispose takes
/// those away again, ends the session once every thread has left it, and closes the adapter (which removes an adapter
/// this run created).
/// </summary>
internal sealed partial class WintunContainer : IContainer, IInterfaceLinkProvider
{
    private readonly SafeWintunAdapterHandle _adapter;
    private readonly AdapterIpConfiguration _ip;
    private readonly WintunSettings _settings;
    private readonly ILogger _logger;
    private readonly List<WintunQueue> _queues = [];
    private int _disposed;

    private WintunContainer(string name, WintunSettings settings, SafeWintunAdapterHandle adapter, ulong luid, AdapterIpConfiguration ip, ILogger logger)
    {
        Name = name;
        _settings = settings;
        _adapter = adapter;
        Luid = luid;
        _ip = ip;
        _logger = logger;
    }

    public string Name { get; }

    /// <inheritdoc />
    public InterfaceLink Link => _settings.Link;

    /// <summary>The adapter's NET_LUID.</summary>
    public ulong Luid { get; }

    /// <summary>The running Wintun driver's version (major &lt;&lt; 16 | minor), 0 if it could not be read.</summary>
    public uint DriverVersion { get; private set; }

    public IReadOnlyList<IQueue> Queues => _queues;

    /// <summary>The session's queue.</summary>
    internal WintunQueue Queue => _queues[0];

    /// <summary>The IP configuration this run applied.</summary>
    internal AdapterIpConfiguration IpConfiguration => _ip;

    public static WintunContainer Create(string interfaceName, WintunSettings settings, int batchSize, ILoggerFactory loggerFactory, IWintunApi api, IIpHelperApi ipHelper, TimeProvider time)
    {
        ILogger logger = loggerFactory.CreateLogger<WintunContainer>();
        SafeWintunAdapterHandle adapter = OpenAdapter(settings, api);
        WintunContainer? container = null;
        try
        {
            ulong luid = api.GetAdapterLuid(adapter.DangerousGetHandle());
            container = new WintunContainer(interfaceName, settings, adapter, luid, new AdapterIpConfiguration(ipHelper, luid, settings.AdapterName, logger), logger);
            container.DriverVersion = api.GetRunningDriverVersion(out _);
            nint session = api.StartSession(adapter.DangerousGetHandle(), (uint)settings.RingCapacity, out int error);
            if (session == 0)
            {
                throw new WintunException(
                    $"starting a session on Wintun adapter '{settings.AdapterName}' with {settings.RingCapacity}-byte rings (WintunStartSession)",
                    error,
                    error == ERROR_ALREADY_INITIALIZED ? "an adapter has one session, and another process holds it" : null);
            }

            var sessionHandle = new SafeWintunSessionHandle(api, session, adapter);
            var spin = new ReadSpin(settings.ReadSpin, settings.ReadSpinAboveBitsPerSecond, time.TimestampFrequency);
            container._queues.Add(new WintunQueue(api, sessionHandle, settings.AdapterName, batchSize, spin, time, logger));
            container._ip.Apply(settings.Mtu, settings.Addresses, settings.Routes);
            Log.Opened(logger, interfaceName, settings.AdapterName, settings.Mode == WintunAdapterMode.Create ? "created" : "opened",
                luid, FormatVersion(container.DriverVersion), settings.RingCapacity, settings.Mtu);
            return container;
        }
        catch
        {
            if (container is not null)
            {
                container.Dispose();
            }
            else
            {
                adapter.Dispose();
            }

            throw;
        }
    }

    public void Close()
    {
        foreach (WintunQueue queue in _queues)
        {
            queue.Close();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Close();
        _ip.Remove();
        foreach (WintunQueue queue in _queues)
        {
            queue.Dispose();
        }

        _adapter.Dispose();
        Log.Closed(_logger, Name, _settings.AdapterName, _settings.Mode == WintunAdapterMode.Create ? "removed" : "left in place without this run's addresses and routes");
    }

    /// <summary>"0.14" for 0x000E; "unknown" for 0.</summary>
    internal static string FormatVersion(uint version) => version == 0 ? "unknown" : $"{version >> 16}.{version & 0xFFFF}";

    private static SafeWintunAdapterHandle OpenAdapter(WintunSettings settings, IWintunApi api)
    {
        nint adapter;
        int error;
        if (settings.Mode == WintunAdapterMode.Create)
        {
            adapter = api.CreateAdapter(settings.AdapterName, settings.TunnelType, settings.AdapterGuid, out error);
            if (adapter == 0)
            {
                throw new WintunException(
                    $"creating Wintun adapter '{settings.AdapterName}' (tunnel type '{settings.TunnelType}', GUID {settings.AdapterGuid}) with WintunCreateAdapter",
                    error,
                    error == ERROR_ACCESS_DENIED ? "creating adapters needs an administrator or LocalSystem" : "the Wintun log lines above say more");
            }
        }
        else
        {
            adapter = api.OpenAdapter(settings.AdapterName, out error);
            if (adapter == 0)
            {
                throw new WintunException(
                    $"opening Wintun adapter '{settings.AdapterName}' (WintunOpenAdapter)",
                    error,
                    error is ERROR_NOT_FOUND or ERROR_FILE_NOT_FOUND ? "there is no Wintun adapter of that name; Mode 'open' uses an existing one, 'create' makes it" : null);
            }
        }

        return new SafeWintunAdapterHandle(api, adapter);
    }

    private static partial class Log
    {
        // More than six placeholders: the generator's own state type names each value after its parameter, so a
        // verbatim parameter (@interface) would name it "@interface" and the placeholder would print unfilled.
        [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Interface {Interface}: Wintun adapter {Adapter} {How} (LUID 0x{Luid:x}), driver {Version}, rings {Ring} bytes, MTU {Mtu}")]
        public static partial void Opened(ILogger logger, string Interface, string adapter, string how, ulong luid, string version, int ring, int mtu);

        [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Interface {Interface}: Wintun session ended; adapter {Adapter} {What}")]
        public static partial void Closed(ILogger logger, string @interface, string adapter, string what);
    }
}
