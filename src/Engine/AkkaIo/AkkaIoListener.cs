using Akka.Actor;
using Akka.IO;

namespace TcpActors.Engine.AkkaIo;

/// <summary>
/// What an Akka.IO user sees as the listener: the Sender of <see cref="Tcp.Bound"/>, to which it sends
/// <see cref="Tcp.Unbind"/> and <see cref="Tcp.ResumeAccepting"/>. It hands them to the <see cref="AkkaIoManager"/>,
/// which keeps the listener's state; the manager stops it after <see cref="Tcp.Unbound"/>, as Akka.IO stops its listener.
/// </summary>
internal sealed class AkkaIoListener(ushort port) : UntypedActor
{
    internal sealed record FromUser(ushort Port, object Command);

    public static Props Props(ushort port, string dispatcher) =>
        Akka.Actor.Props.Create(() => new AkkaIoListener(port)).WithDispatcher(dispatcher);

    protected override void OnReceive(object message)
    {
        if (message is Tcp.Command)
            Context.Parent.Tell(new FromUser(port, message), Sender);
        else
            Unhandled(message);
    }
}
