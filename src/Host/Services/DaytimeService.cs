using System.Globalization;
using System.Text;
using Akka.Actor;
using TcpActors.Engine.Api;

namespace TcpActors.Host.Services;

/// <summary>
/// Daytime (RFC 867, port 13): sends the date and time as one line, then closes. The time is the
/// application's (a <see cref="TimeProvider"/>), not protocol time.
/// </summary>
public sealed class DaytimeService(IActorRef connection, TimeProvider clock) : ServiceHandler(connection)
{
    public const ushort Port = 13;

    private sealed class Ack
    {
        public static readonly Ack Instance = new();
    }

    public static Props Props(IActorRef connection, TimeProvider clock) => Akka.Actor.Props.Create(() => new DaytimeService(connection, clock));

    protected override void PreStart()
    {
        base.PreStart();
        string line = clock.GetUtcNow().ToString("dddd, MMMM d, yyyy HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) + "\r\n";
        Connection.Tell(new Write(Encoding.ASCII.GetBytes(line), Ack.Instance));
    }

    protected override bool Handle(object message)
    {
        if (message is not Ack)
            return false;
        Connection.Tell(Close.Instance);
        return true;
    }
}
