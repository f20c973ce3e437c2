namespace RouterHost.Firewall;

/// <summary>Where a tracked connection is in its life. Each state has its own timeout (<see cref="ConntrackOptions"/>).</summary>
public enum ConntrackState : byte
{
    /// <summary>TCP: the originator's SYN was seen, no answer yet.</summary>
    TcpSynSent = 1,

    /// <summary>TCP: the responder answered with SYN+ACK.</summary>
    TcpSynReceived = 2,

    /// <summary>TCP: the handshake completed (or the flow was picked up mid-stream).</summary>
    TcpEstablished = 3,

    /// <summary>TCP: one side sent FIN.</summary>
    TcpClosing = 4,

    /// <summary>TCP: both sides sent FIN.</summary>
    TcpTimeWait = 5,

    /// <summary>TCP: a RST was seen.</summary>
    TcpClosed = 6,

    /// <summary>UDP, ICMP echo or another protocol: only the originator has sent.</summary>
    Unreplied = 7,

    /// <summary>UDP, ICMP echo or another protocol: the other side has answered.</summary>
    Replied = 8,
}
