namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>
/// Wakes the kernel to transmit what the TX ring holds (<c>sendto(MSG_DONTWAIT)</c> on the socket). A seam so the
/// transmit logic runs over plain memory in tests, where the fake plays the kernel.
/// </summary>
internal interface IXskKicker
{
    /// <summary>Kicks once; returns 0 or the errno (EAGAIN: more to send, call again).</summary>
    int Kick();
}
