import {
  AsyncResultError,
  BridgeError,
  CancelledError,
  ClientClosedError,
  CompositeError,
  ConnectionLostError,
  EngineError,
  errorFromInfo,
  NotReadyError,
  ProtocolError,
  RemoteError,
  TaskAborted,
  TaskError,
  TimeoutError
} from '../errors';
import { ProtocolError as ProtocolErrorOfProtocol } from '../protocol';

const zero = {
  ename: 'ZeroDivisionError',
  evalue: 'division by zero',
  traceback: 'Traceback ...',
  engine_id: 1,
  method: 'apply'
};

describe('one error family', () => {
  it('every error is an AsyncResultError with its own name and says where', () => {
    const all: Array<[AsyncResultError, string]> = [
      [new RemoteError(zero), 'RemoteError'],
      [new CompositeError({ ...zero, ename: 'CompositeError', elist: [zero] }), 'CompositeError'],
      [new TaskAborted({ ...zero, ename: 'TaskAborted', evalue: 'm1' }), 'TaskAborted'],
      [new EngineError({ ...zero, ename: 'EngineError' }), 'EngineError'],
      [new TimeoutError('t', 'controller'), 'TimeoutError'],
      [new NotReadyError('get'), 'NotReadyError'],
      [new ConnectionLostError('gone'), 'ConnectionLostError'],
      [new ClientClosedError('get_value', 'controller'), 'ClientClosedError'],
      [new BridgeError('no'), 'BridgeError'],
      [new ProtocolError('bad'), 'ProtocolError'],
      [new CancelledError('get'), 'CancelledError']
    ];
    for (const [error, name] of all) {
      expect(error).toBeInstanceOf(AsyncResultError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(name);
      expect(['kernel', 'controller']).toContain(error.where);
    }
    expect(new TimeoutError('t', 'controller').where).toBe('controller');
    expect(new BridgeError('no').where).toBe('kernel');
    expect(ProtocolErrorOfProtocol).toBe(ProtocolError);
  });

  it('task errors follow ipyparallel: CompositeError and EngineError are RemoteErrors, TaskAborted is not', () => {
    const composite = errorFromInfo({ ...zero, ename: 'CompositeError', elist: [zero] });
    expect(composite).toBeInstanceOf(CompositeError);
    expect(composite).toBeInstanceOf(RemoteError);
    const aborted = errorFromInfo({ ...zero, ename: 'TaskAborted', evalue: 'm1' });
    expect(aborted).toBeInstanceOf(TaskAborted);
    expect(aborted).not.toBeInstanceOf(RemoteError);
    expect(aborted).toBeInstanceOf(TaskError);
    expect((aborted as TaskAborted).msgId).toBe('m1');
    const dead = errorFromInfo({ ...zero, ename: 'EngineError', evalue: 'engine 1 died' });
    expect(dead).toBeInstanceOf(EngineError);
    // ipyparallel: a dead engine's task fails with RemoteError('EngineError', ...)
    expect(dead).toBeInstanceOf(RemoteError);
    expect(errorFromInfo(zero)).toBeInstanceOf(RemoteError);
  });

  it("messages read like ipyparallel's str()", () => {
    expect(new RemoteError(zero).message).toBe('[1:apply] ZeroDivisionError: division by zero');
    expect(new RemoteError({ ...zero, method: 'execute' }).message).toBe(
      '[1:execute] ZeroDivisionError: division by zero'
    );
    expect(new RemoteError({ ...zero, engine_id: null }).message).toBe(
      '[Engine Exception] ZeroDivisionError: division by zero'
    );
    const text =
      'one or more exceptions raised in: f\n[1:apply]ZeroDivisionError: division by zero';
    const composite = new CompositeError({
      ename: 'CompositeError',
      evalue: text,
      traceback: '',
      engine_id: null,
      elist: [zero, { ...zero, engine_id: 0 }]
    });
    expect(composite.message).toBe(text);
    expect(composite.elist.map(e => e.engineId)).toEqual([1, 0]);
    expect(composite.elist[0].traceback).toBe('Traceback ...');
    expect(composite.elistTotal).toBe(2);
    expect(new ClientClosedError('get_value').message).toBe('get_value: the client is closed');
    expect(new ClientClosedError('x')).toBeInstanceOf(ConnectionLostError);
  });
});
