namespace RouterHost.Plugins.Wintun.Internal;

/// <summary>
/// The seam over wintun.dll: one method per Wintun function this plugin calls, in wintun.h's terms (handles are the
/// opaque pointers Wintun hands out; a failing call returns null/0 and its Win32 error in <c>error</c>). The real
/// implementation (<see cref="WintunNativeApi"/>) forwards to the DLL; the tests drive the plugin's session logic
/// through a simulated ring that enforces Wintun's rules (in-order release, one session, ring full, end of file, no
/// calls after the session ended).
/// <para>
/// Threading, as Wintun defines it: every call is thread-safe; receive and release happen on the queue's one reader
/// thread, allocate and send on its writers. <see cref="EndSession"/> is called only after every thread has left the
/// session (<see cref="SessionGate"/>).
/// </para>
/// </summary>
internal unsafe interface IWintunApi
{
    /// <summary>WintunCreateAdapter: a new adapter, removed again when its handle is closed.</summary>
    nint CreateAdapter(string name, string tunnelType, in Guid requestedGuid, out int error);

    /// <summary>WintunOpenAdapter: an existing adapter by name (ERROR_NOT_FOUND when there is none).</summary>
    nint OpenAdapter(string name, out int error);

    /// <summary>WintunCloseAdapter.</summary>
    void CloseAdapter(nint adapter);

    /// <summary>WintunGetAdapterLUID: the NET_LUID the IP Helper API knows the adapter by.</summary>
    ulong GetAdapterLuid(nint adapter);

    /// <summary>WintunGetRunningDriverVersion: 0 with an error when the driver is not loaded.</summary>
    uint GetRunningDriverVersion(out int error);

    /// <summary>WintunStartSession with a ring capacity (a power of two between the ring limits).</summary>
    nint StartSession(nint adapter, uint capacity, out int error);

    /// <summary>WintunEndSession.</summary>
    void EndSession(nint session);

    /// <summary>WintunGetReadWaitEvent, as a wait handle that does not own (never closes) the session's event.</summary>
    WaitHandle GetReadWaitEvent(nint session);

    /// <summary>WintunReceivePacket: the next packet (borrowed from the ring until released), or null with ERROR_NO_MORE_ITEMS / ERROR_HANDLE_EOF / ERROR_INVALID_DATA.</summary>
    byte* ReceivePacket(nint session, out uint size, out int error);

    /// <summary>WintunReleaseReceivePacket: gives a received packet's ring space back.</summary>
    void ReleaseReceivePacket(nint session, byte* packet);

    /// <summary>WintunAllocateSendPacket: ring space for one packet, or null with ERROR_BUFFER_OVERFLOW (full) / ERROR_HANDLE_EOF.</summary>
    byte* AllocateSendPacket(nint session, uint size, out int error);

    /// <summary>WintunSendPacket: hands an allocated packet to the driver. Every allocated packet must be sent.</summary>
    void SendPacket(nint session, byte* packet);
}
