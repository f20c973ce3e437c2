using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using RouterHost.Linux;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.RateGen;

/// <summary>
/// The rate search's UDP generator and counter (bench/tunnel/lib/rate.sh). <c>send</c> offers IPv4 UDP datagrams of a
/// set IP size at a set rate from one thread with <c>sendmmsg</c> (no UDP GSO: every datagram is its own packet, as
/// small-packet traffic is), over one or several flows (source ports); <c>receive</c> counts with <c>recvmmsg</c>
/// what reaches a port, and the receiving namespace's own UDP receive-buffer drops, so loss the receiver caused is
/// told apart from loss in the tunnel. Each prints one line of <c>key=value</c> pairs.
/// </summary>
internal static unsafe class Program
{
    private const int IpUdpHeaders = 28;
    private const int Batch = 64;
    private const int SendBufferBytes = 8 << 20;

    // The counter gets the deeper buffer: on a loaded machine it may wait for a CPU for tens of milliseconds, and what
    // its own socket drops meanwhile is not the tunnel's loss (it is reported, and still counted as lost).
    private const int ReceiveBufferBytes = 64 << 20;

    private static int Main(string[] args)
    {
        try
        {
            return args.Length > 0 && args[0] == "send" ? Send(Options.Parse(args[1..]))
                : args.Length > 0 && args[0] == "receive" ? Receive(Options.Parse(args[1..]))
                : Usage();
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"rategen: {e.Message}");
            return Usage();
        }
        catch (LinuxException e)
        {
            Console.Error.WriteLine($"rategen: {e.Message}");
            return 1;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("""
            usage: rategen send --to IPV4:PORT --size BYTES --pps RATE --seconds S [--flows N]
                   rategen receive --port PORT --seconds S [--idle S] [--after S]
              send     offers IPv4 UDP packets of BYTES (IP size, 29..65535) at RATE per second for S seconds over N flows
                       (source ports); prints sent=, seconds=, errors=
              receive  counts what arrives at PORT until S seconds have passed, or --idle ones (default 1) without a packet
                       once --after seconds (default 0) have passed since the first;
                       prints received=, bytes=, receiver_drops= (this namespace's UDP RcvbufErrors meanwhile)
            """);
        return 2;
    }

    private static int Send(Options o)
    {
        IPEndPoint to = o.To ?? throw new ArgumentException("send needs --to IPV4:PORT");
        int payload = o.Size - IpUdpHeaders;
        if (payload < 1 || o.Size > 65535)
        {
            throw new ArgumentException($"--size {o.Size}: an IPv4 UDP packet is 29 to 65535 bytes");
        }

        if (o.Pps <= 0 || o.Seconds <= 0 || o.Flows < 1)
        {
            throw new ArgumentException("--pps, --seconds and --flows must be positive");
        }

        var sockets = new SafeFileDescriptor[o.Flows];
        for (int i = 0; i < sockets.Length; i++)
        {
            sockets[i] = Socket(SO_SNDBUFFORCE);
        }

        byte* data = (byte*)NativeMemory.AllocZeroed((nuint)payload);
        var address = (sockaddr_in*)NativeMemory.AllocZeroed((nuint)sizeof(sockaddr_in));
        address->sin_family = AF_INET;
        address->sin_port = (ushort)IPAddress.HostToNetworkOrder((short)to.Port);
#pragma warning disable CS0618 // IPv4 only: the 32-bit address is what sockaddr_in holds
        address->sin_addr.s_addr = (uint)to.Address.Address;
#pragma warning restore CS0618
        var iov = (iovec*)NativeMemory.AllocZeroed((nuint)(sizeof(iovec) * Batch));
        var messages = (mmsghdr*)NativeMemory.AllocZeroed((nuint)(sizeof(mmsghdr) * Batch));
        for (int i = 0; i < Batch; i++)
        {
            iov[i] = new iovec { iov_base = data, iov_len = (nuint)payload };
            messages[i].msg_hdr.msg_name = address;
            messages[i].msg_hdr.msg_namelen = (uint)sizeof(sockaddr_in);
            messages[i].msg_hdr.msg_iov = &iov[i];
            messages[i].msg_hdr.msg_iovlen = 1;
        }

        long sent = 0, errors = 0;
        int flow = 0;
        long start = Stopwatch.GetTimestamp();
        long end = start + (long)(o.Seconds * Stopwatch.Frequency);
        long now = start;
        while (now < end)
        {
            long due = (long)((double)(now - start) * o.Pps / Stopwatch.Frequency) - sent - errors;
            if (due <= 0)
            {
                // Paced at the scheduler's millisecond, as iperf3's pacing timer is: bursts of a millisecond's worth.
                Thread.Sleep(1);
                now = Stopwatch.GetTimestamp();
                continue;
            }

            int n = sendmmsg(sockets[flow], messages, (uint)Math.Min(due, Batch), 0);
            if (n < 0)
            {
                int errno = Errno.Last;
                if (errno != Errno.EINTR)
                {
                    // ENOBUFS and the like: the packets were not offered; counted so the pacing does not retry them.
                    errors += Math.Min(due, Batch);
                }
            }
            else
            {
                sent += n;
            }

            flow = flow + 1 == sockets.Length ? 0 : flow + 1;
            now = Stopwatch.GetTimestamp();
        }

        double seconds = (double)(now - start) / Stopwatch.Frequency;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sent={sent} seconds={seconds:F4} errors={errors}"));
        return 0;
    }

    private static int Receive(Options o)
    {
        if (o.Port is <= 0 or > 65535 || o.Seconds <= 0)
        {
            throw new ArgumentException("receive needs --port 1..65535 and positive --seconds");
        }

        SafeFileDescriptor socket = Socket(SO_RCVBUFFORCE);
        var local = new sockaddr_in { sin_family = AF_INET, sin_port = (ushort)IPAddress.HostToNetworkOrder((short)o.Port) };
        if (bind(socket, &local, (uint)sizeof(sockaddr_in)) != 0)
        {
            throw LinuxException.FromErrno(Errno.Last, $"binding UDP port {o.Port}");
        }

        const int slot = 2048;
        byte* buffers = (byte*)NativeMemory.Alloc((nuint)(slot * Batch));
        var iov = (iovec*)NativeMemory.AllocZeroed((nuint)(sizeof(iovec) * Batch));
        var messages = (mmsghdr*)NativeMemory.AllocZeroed((nuint)(sizeof(mmsghdr) * Batch));
        for (int i = 0; i < Batch; i++)
        {
            iov[i] = new iovec { iov_base = buffers + (i * slot), iov_len = slot };
            messages[i].msg_hdr.msg_iov = &iov[i];
            messages[i].msg_hdr.msg_iovlen = 1;
        }

        long dropsBefore = RcvbufErrors();
        long received = 0, bytes = 0;
        long start = Stopwatch.GetTimestamp();
        long end = start + (long)(o.Seconds * Stopwatch.Frequency);
        long idle = (long)(o.Idle * Stopwatch.Frequency);
        long after = (long)(o.After * Stopwatch.Frequency);
        long first = 0, last = 0;
        var poller = new pollfd { fd = socket.Fd, events = 1 /* POLLIN */ };
        while (true)
        {
            int n = recvmmsg(socket, messages, Batch, MSG_DONTWAIT, null);
            long now = Stopwatch.GetTimestamp();
            if (n > 0)
            {
                received += n;
                for (int i = 0; i < n; i++)
                {
                    bytes += messages[i].msg_len;
                }

                first = first == 0 ? now : first;
                last = now;
                continue;
            }

            // Idleness ends the count only once the sender's time has passed since the first packet: a tunnel stalled
            // for a moment mid-step (a starved process on a loaded machine) has its late packets counted, not cut off.
            if (now >= end || (first != 0 && now - first >= after && now - last >= idle))
            {
                break;
            }

            poll(&poller, 1, 50);
        }

        long drops = RcvbufErrors() - dropsBefore;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"received={received} bytes={bytes} receiver_drops={drops}"));
        return 0;
    }

    private static SafeFileDescriptor Socket(int bufferOption)
    {
        var fd = new SafeFileDescriptor(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP));
        if (fd.IsInvalid)
        {
            throw LinuxException.FromErrno(Errno.Last, "creating a UDP socket");
        }

        int size = bufferOption == SO_RCVBUFFORCE ? ReceiveBufferBytes : SendBufferBytes;
        if (setsockopt(fd, SOL_SOCKET, bufferOption, &size, sizeof(int)) != 0)
        {
            // Not root: the system's maximum then.
            setsockopt(fd, SOL_SOCKET, bufferOption == SO_RCVBUFFORCE ? SO_RCVBUF : SO_SNDBUF, &size, sizeof(int));
        }

        return fd;
    }

    // The Udp RcvbufErrors counter of this network namespace (/proc/net/snmp), or 0 where it cannot be read.
    private static long RcvbufErrors()
    {
        try
        {
            string[] lines = File.ReadAllLines("/proc/net/snmp");
            for (int i = 0; i + 1 < lines.Length; i++)
            {
                if (lines[i].StartsWith("Udp: ", StringComparison.Ordinal) && lines[i + 1].StartsWith("Udp: ", StringComparison.Ordinal))
                {
                    int column = Array.IndexOf(lines[i].Split(' '), "RcvbufErrors");
                    string[] values = lines[i + 1].Split(' ');
                    return column > 0 && column < values.Length ? long.Parse(values[column], CultureInfo.InvariantCulture) : 0;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    /// <summary>The command line's options.</summary>
    private sealed class Options
    {
        public IPEndPoint? To { get; private set; }

        public int Size { get; private set; } = 64;

        public double Pps { get; private set; }

        public double Seconds { get; private set; }

        public double Idle { get; private set; } = 1;

        public double After { get; private set; }

        public int Flows { get; private set; } = 1;

        public int Port { get; private set; }

        public static Options Parse(string[] args)
        {
            var o = new Options();
            for (int i = 0; i < args.Length; i++)
            {
                string key = args[i];
                string value = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{key} needs a value");
                switch (key)
                {
                    case "--to":
                        if (!IPEndPoint.TryParse(value, out IPEndPoint? to) || to.Address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || to.Port == 0)
                        {
                            throw new ArgumentException($"--to '{value}' is not IPV4:PORT");
                        }

                        o.To = to;
                        break;
                    case "--size": o.Size = Int(key, value); break;
                    case "--pps": o.Pps = Number(key, value); break;
                    case "--seconds": o.Seconds = Number(key, value); break;
                    case "--idle": o.Idle = Number(key, value); break;
                    case "--after": o.After = Number(key, value); break;
                    case "--flows": o.Flows = Int(key, value); break;
                    case "--port": o.Port = Int(key, value); break;
                    default: throw new ArgumentException($"unknown option '{key}'");
                }
            }

            return o;
        }

        private static int Int(string key, string value) =>
            int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : throw new ArgumentException($"{key} '{value}' is not a whole number");

        private static double Number(string key, string value) =>
            double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double v) && v > 0
                ? v : throw new ArgumentException($"{key} '{value}' is not a positive number");
    }
}
