using Microsoft.Win32.SafeHandles;

namespace RouterHost.Plugins.Wintun.Internal;

/// <summary>
/// A wait handle over an event someone else owns (Wintun's read-wait event belongs to the session: "do not call
/// CloseHandle on this event"). Disposing it never closes the event.
/// </summary>
internal sealed class BorrowedWaitHandle : WaitHandle
{
    public BorrowedWaitHandle(nint handle) => SafeWaitHandle = new SafeWaitHandle(handle, ownsHandle: false);
}
