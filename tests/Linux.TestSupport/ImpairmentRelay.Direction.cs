using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;

namespace RouterHost.Linux.TestSupport;

public sealed partial class ImpairmentRelay
{
    /// <summary>
    /// One way through the relay, on its own thread: reads a socket, decides per datagram (loss, corruption,
    /// duplication, delay, in that order, each drawn from this way's generator) and sends from the other socket,
    /// at once or when its delay is up. Only this thread writes the counts; readers take them with volatile reads.
    /// </summary>
    private sealed class Direction
    {
        private const int SlotSize = 2048;
        private const int MaxDatagram = 65536;
        private const int ReadsPerWake = 256;
        private const long WaitCapMs = 20; // how late a stop is noticed when nothing arrives

        private readonly ImpairmentRelay _relay;
        private readonly Socket _from;
        private readonly Socket _to;
        private readonly Impairment _impairment;
        private readonly DatagramFilter? _impairable;
        private readonly int _corruptFrom;
        private readonly Random _random;
        private readonly SocketAddress? _server; // null: this way goes to the client the relay remembers
        private readonly SocketAddress _source;
        private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram);
        private readonly Thread _thread;

        // Held datagrams: slots in one arena, ordered by (due time, arrival) in a heap sized for all of them.
        private readonly byte[] _arena;
        private readonly int[] _heldLength;
        private readonly long[] _heldSequence;
        private readonly bool[] _heldCorrupted;
        private readonly bool[] _heldDuplicate;
        private readonly int[] _free;
        private readonly PriorityQueue<int, (long Due, long Sequence)> _held;
        private readonly long _delayMinTicks;
        private readonly long _delayRangeTicks;
        private int _freeCount;
        private long _sequence;
        private long _highestSent = -1;

        private long _received;
        private long _passed;
        private long _lost;
        private long _corrupted;
        private long _duplicated;
        private long _delayed;
        private long _reordered;
        private long _holdRefused;
        private long _sent;
        private long _sendFailed;
        private long _noReturnPath;
        private long _receiveFailed;

        public Direction(ImpairmentRelay relay, string name, Socket from, Socket to, Impairment impairment, ImpairmentRelayOptions options, int seed)
        {
            _relay = relay;
            _from = from;
            _to = to;
            _impairment = impairment;
            _impairable = options.Impairable;
            _corruptFrom = options.CorruptFrom;
            _random = new Random(seed);
            _server = ReferenceEquals(from, relay._clientFacing) ? options.Server.Serialize() : null;
            _source = new SocketAddress(from.AddressFamily);
            int capacity = options.HoldCapacity;
            _arena = GC.AllocateUninitializedArray<byte>(capacity * SlotSize);
            _heldLength = new int[capacity];
            _heldSequence = new long[capacity];
            _heldCorrupted = new bool[capacity];
            _heldDuplicate = new bool[capacity];
            _free = new int[capacity];
            for (int i = 0; i < capacity; i++)
            {
                _free[i] = capacity - 1 - i;
            }

            _freeCount = capacity;
            _held = new PriorityQueue<int, (long, long)>(capacity);
            _delayMinTicks = TicksOf(impairment.DelayMin);
            _delayRangeTicks = TicksOf(impairment.DelayMax) - _delayMinTicks;
            _thread = new Thread(Run) { IsBackground = true, Name = name };
        }

        public ExceptionDispatchInfo? Fault { get; private set; }

        public void Start() => _thread.Start();

        public void Join() => _thread.Join();

        public RelayCounts Snapshot() => new(
            Volatile.Read(ref _received),
            Volatile.Read(ref _passed),
            Volatile.Read(ref _lost),
            Volatile.Read(ref _corrupted),
            Volatile.Read(ref _duplicated),
            Volatile.Read(ref _delayed),
            Volatile.Read(ref _reordered),
            Volatile.Read(ref _holdRefused),
            Volatile.Read(ref _sent),
            Volatile.Read(ref _sendFailed),
            Volatile.Read(ref _noReturnPath),
            Volatile.Read(ref _receiveFailed));

        private static long TicksOf(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

        private void Run()
        {
            try
            {
                while (!_relay.Stopping)
                {
                    long now = Stopwatch.GetTimestamp();
                    SendDue(now);
                    if (!_from.Poll(WaitMicroseconds(now), SelectMode.SelectRead))
                    {
                        continue;
                    }

                    // Readable: at least one datagram (perhaps empty) waits; take what is there, then send what is due.
                    int reads = 0;
                    do
                    {
                        Receive();
                    }
                    while (++reads < ReadsPerWake && _from.Available > 0);
                }

                // Stopping: what is held goes now, in its order, so nothing the counts call sent is left behind.
                SendDue(long.MaxValue);
            }
            catch (Exception ex)
            {
                Fault = ExceptionDispatchInfo.Capture(ex);
            }
        }

        /// <summary>Until the next held datagram is due (at least 1 ms: poll's unit), at most <see cref="WaitCapMs"/>.</summary>
        private int WaitMicroseconds(long now)
        {
            long waitMs = WaitCapMs;
            if (_held.TryPeek(out _, out (long Due, long Sequence) next))
            {
                long ticks = next.Due - now;
                waitMs = Math.Clamp(((ticks * 1000) + Stopwatch.Frequency - 1) / Stopwatch.Frequency, 1, WaitCapMs);
            }

            return (int)(waitMs * 1000);
        }

        private void Receive()
        {
            int length;
            try
            {
                length = _from.ReceiveFrom(_buffer, SocketFlags.None, _source);
            }
            catch (SocketException)
            {
                // An error queued on the socket instead of a datagram (none is expected: neither socket asks for ICMP errors).
                Volatile.Write(ref _receiveFailed, _receiveFailed + 1);
                return;
            }

            Volatile.Write(ref _received, _received + 1);
            long sequence = _sequence++;
            if (_server is not null)
            {
                _relay.Remember(_source);
            }
            else if (Volatile.Read(ref _relay._client) is null)
            {
                Volatile.Write(ref _noReturnPath, _noReturnPath + 1);
                return;
            }

            Span<byte> datagram = _buffer.AsSpan(0, length);
            if (_impairable is not null && !_impairable(datagram))
            {
                Volatile.Write(ref _passed, _passed + 1);
                Send(datagram, sequence, corrupted: false, duplicate: false);
                return;
            }

            Impairment impairment = _impairment;
            if (Draw(impairment.Loss))
            {
                Volatile.Write(ref _lost, _lost + 1);
                return;
            }

            bool corrupted = false;
            if (length > _corruptFrom && Draw(impairment.Corruption))
            {
                datagram[_random.Next(_corruptFrom, length)] ^= (byte)_random.Next(1, 256);
                corrupted = true;
            }

            bool duplicate = !corrupted && Draw(impairment.Duplication);
            Dispatch(datagram, sequence, corrupted, duplicate: false);
            if (duplicate)
            {
                Dispatch(datagram, sequence, corrupted: false, duplicate: true);
            }
        }

        private bool Draw(double probability) => probability > 0 && _random.NextDouble() < probability;

        /// <summary>Sends one copy now, or holds it for a drawn delay.</summary>
        private void Dispatch(ReadOnlySpan<byte> datagram, long sequence, bool corrupted, bool duplicate)
        {
            if (!Draw(_impairment.Delay))
            {
                Send(datagram, sequence, corrupted, duplicate);
                return;
            }

            Volatile.Write(ref _delayed, _delayed + 1);
            if (_freeCount == 0 || datagram.Length > SlotSize)
            {
                Volatile.Write(ref _holdRefused, _holdRefused + 1);
                Send(datagram, sequence, corrupted, duplicate);
                return;
            }

            int slot = _free[--_freeCount];
            datagram.CopyTo(_arena.AsSpan(slot * SlotSize, SlotSize));
            _heldLength[slot] = datagram.Length;
            _heldSequence[slot] = sequence;
            _heldCorrupted[slot] = corrupted;
            _heldDuplicate[slot] = duplicate;
            long delay = _delayMinTicks + (long)(_random.NextDouble() * _delayRangeTicks);
            _held.Enqueue(slot, (Stopwatch.GetTimestamp() + delay, sequence));
        }

        private void SendDue(long now)
        {
            while (_held.TryPeek(out int slot, out (long Due, long Sequence) at) && at.Due <= now)
            {
                _held.Dequeue();
                Send(_arena.AsSpan(slot * SlotSize, _heldLength[slot]), _heldSequence[slot], _heldCorrupted[slot], _heldDuplicate[slot]);
                _free[_freeCount++] = slot;
            }
        }

        private void Send(ReadOnlySpan<byte> datagram, long sequence, bool corrupted, bool duplicate)
        {
            SocketAddress? destination = _server ?? Volatile.Read(ref _relay._client);
            if (destination is null)
            {
                Volatile.Write(ref _noReturnPath, _noReturnPath + 1);
                return;
            }

            try
            {
                _to.SendTo(datagram, SocketFlags.None, destination);
            }
            catch (SocketException)
            {
                Volatile.Write(ref _sendFailed, _sendFailed + 1);
                return;
            }

            Volatile.Write(ref _sent, _sent + 1);
            if (corrupted)
            {
                Volatile.Write(ref _corrupted, _corrupted + 1);
            }

            if (duplicate)
            {
                Volatile.Write(ref _duplicated, _duplicated + 1);
            }

            if (sequence < _highestSent)
            {
                Volatile.Write(ref _reordered, _reordered + 1);
            }
            else
            {
                _highestSent = sequence;
            }
        }
    }
}
