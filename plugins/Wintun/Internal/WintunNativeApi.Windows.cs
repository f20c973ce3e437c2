using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;
using static RouterHost.Plugins.Wintun.Interop.Wintun;

namespace RouterHost.Plugins.Wintun.Internal;

/// <summary>
/// <see cref="IWintunApi"/> over the real wintun.dll (loaded by <see cref="WintunLibrary"/>). Creating it also routes
/// Wintun's own diagnostics (driver installation, adapter creation) into the log, once per process.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe partial class WintunNativeApi : IWintunApi
{
    private static ILogger? s_driverLogger;
    private static int s_loggerSet;

    private WintunNativeApi()
    {
    }

    /// <summary>The API, once wintun.dll is loaded and usable; throws with what to do otherwise.</summary>
    public static WintunNativeApi Create(ILoggerFactory loggerFactory)
    {
        if (WintunLibrary.Handle == 0)
        {
            throw new PlatformNotSupportedException(WintunLibrary.UnsupportedReason);
        }

        Volatile.Write(ref s_driverLogger, loggerFactory.CreateLogger("RouterHost.Plugins.Wintun.Driver"));
        if (Interlocked.Exchange(ref s_loggerSet, 1) == 0)
        {
            WintunSetLogger(&OnWintunLog);
        }

        return new WintunNativeApi();
    }

    public nint CreateAdapter(string name, string tunnelType, in Guid requestedGuid, out int error)
    {
        Guid guid = requestedGuid;
        nint adapter = WintunCreateAdapter(name, tunnelType, &guid);
        error = adapter == 0 ? Marshal.GetLastPInvokeError() : 0;
        return adapter;
    }

    public nint OpenAdapter(string name, out int error)
    {
        nint adapter = WintunOpenAdapter(name);
        error = adapter == 0 ? Marshal.GetLastPInvokeError() : 0;
        return adapter;
    }

    public void CloseAdapter(nint adapter) => WintunCloseAdapter(adapter);

    public ulong GetAdapterLuid(nint adapter)
    {
        Interop.IpHelper.NET_LUID luid;
        WintunGetAdapterLUID(adapter, &luid);
        return luid.Value;
    }

    public uint GetRunningDriverVersion(out int error)
    {
        uint version = WintunGetRunningDriverVersion();
        error = version == 0 ? Marshal.GetLastPInvokeError() : 0;
        return version;
    }

    public nint StartSession(nint adapter, uint capacity, out int error)
    {
        nint session = WintunStartSession(adapter, capacity);
        error = session == 0 ? Marshal.GetLastPInvokeError() : 0;
        return session;
    }

    public void EndSession(nint session) => WintunEndSession(session);

    public WaitHandle GetReadWaitEvent(nint session) => new BorrowedWaitHandle(WintunGetReadWaitEvent(session));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* ReceivePacket(nint session, out uint size, out int error)
    {
        uint length;
        byte* packet = WintunReceivePacket(session, &length);
        size = length;
        error = packet == null ? Marshal.GetLastPInvokeError() : 0;
        return packet;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ReleaseReceivePacket(nint session, byte* packet) => WintunReleaseReceivePacket(session, packet);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* AllocateSendPacket(nint session, uint size, out int error)
    {
        byte* packet = WintunAllocateSendPacket(session, size);
        error = packet == null ? Marshal.GetLastPInvokeError() : 0;
        return packet;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SendPacket(nint session, byte* packet) => WintunSendPacket(session, packet);

    // Called by wintun.dll from any thread; nothing may escape into native code.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static void OnWintunLog(WINTUN_LOGGER_LEVEL level, ulong timestamp, char* message)
    {
        try
        {
            ILogger? logger = Volatile.Read(ref s_driverLogger);
            if (logger is null || message is null)
            {
                return;
            }

            string text = new(message);
            switch (level)
            {
                case WINTUN_LOGGER_LEVEL.WINTUN_LOG_ERR:
                    Log.Error(logger, text);
                    break;
                case WINTUN_LOGGER_LEVEL.WINTUN_LOG_WARN:
                    Log.Warning(logger, text);
                    break;
                default:
                    Log.Information(logger, text);
                    break;
            }
        }
        catch (Exception)
        {
            // A failing log sink must not unwind through wintun.dll.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 420, Level = LogLevel.Information, Message = "Wintun: {Message}")]
        public static partial void Information(ILogger logger, string message);

        [LoggerMessage(EventId = 421, Level = LogLevel.Warning, Message = "Wintun: {Message}")]
        public static partial void Warning(ILogger logger, string message);

        [LoggerMessage(EventId = 422, Level = LogLevel.Error, Message = "Wintun: {Message}")]
        public static partial void Error(ILogger logger, string message);
    }
}
