"""The corpus: a few notebooks that together produce every kind of cell output.

Cases are batched into a handful of notebooks because each run starts a kernel. Cells whose
output would change between two runs (timings, random ids, absolute paths) are left out on
purpose, so that the comparison only has to ignore memory addresses. Interleaved stdout and
stderr are flushed explicitly: without a flush the split into stream messages depends on the
kernel's flush timer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell


@dataclass
class Case:
    name: str
    cells: list = field(default_factory=list)
    allow_errors: bool = False

    def notebook(self) -> nbformat.NotebookNode:
        nb = new_notebook()
        nb.nbformat_minor = 5
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nb.cells = [new_code_cell(c) if isinstance(c, str) else c
                    for c in [STEADY_STREAMS, *self.cells]]
        # Stable ids: the test matches nbexec's cells to nbclient's by id.
        for index, cell in enumerate(nb.cells):
            cell["id"] = f"{self.name}-{index}"
        return nb


# ipykernel sends buffered stream text 0.2 s after a write and never cancels that timer, so a
# timer left from an earlier cell can split a later print() into two stream messages. That
# split is kernel timing, not client behaviour: each notebook starts by pushing the timer out
# of reach, and streams are then sent at explicit flushes, displays, clears and cell ends.
STEADY_STREAMS = "import sys\nsys.stdout.flush_interval = sys.stderr.flush_interval = 3600"


def tagged(source: str, *tags: str):
    cell = new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    return cell


# Shared by the notebooks that show images: a real PNG built with zlib and struct (the kernel
# needs no imaging library) and bytes that IPython takes for a JPEG (it only checks the markers).
IMAGES = r'''
import base64, struct, zlib

def png(width, height, rgb):
    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', crc)
    rows = b''.join(b'\x00' + bytes(rgb) * width for _ in range(height))
    header = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header)
            + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))

PNG = png(3, 2, (255, 0, 128))
PNG2 = png(1, 1, (0, 200, 0))
JPEG = b'\xff\xd8\xff\xe0\x00\x10JFIF\x00' + bytes(range(256)) + b'\xff\xd9'
'''

STREAMS = Case("streams", [
    new_markdown_cell("Streams: interleaving, partial lines, control characters, volume."),
    "print('hello')",
    r'''import sys
print('out 1'); sys.stdout.flush()
print('err 1', file=sys.stderr); sys.stderr.flush()
print('out 2'); sys.stdout.flush()
print('err 2', file=sys.stderr)
print('out 3')''',
    "print('no trailing newline', end='')",
    r'''sys.stdout.write('a'); sys.stdout.flush()
sys.stdout.write('b'); sys.stdout.flush()
sys.stdout.write('c\n')''',
    # Carriage returns and backspaces stay as sent: nbclient does not coalesce streams.
    r'''for i in range(5):
    print(f'\rprogress {i}', end='')
print()
print('a\r\nb\rc\bd\r')''',
    r'''for i in range(3000):
    sys.stdout.write(str(i % 10))
sys.stdout.write('\n')''',
    r'''print(); print('', end=''); print('\n\n')''',
    r'''print('\x1b[31mred\x1b[0m nul:\x00 bell:\x07 tab:\t del:\x7f')''',
    # Every line break str.splitlines knows: nbformat splits text at each of them on write.
    r'''print('vt\x0bff\x0cfs\x1cgs\x1drs\x1enel\x85ls\u2028ps\u2029end')''',
    r'''print('héllo wörld — ünïcödé ½ ∑ ∞')''',
    r'''print('emoji 🐍🎉 👩‍👩‍👧‍👦 🇫🇷 ✔️')''',
    r'''print('CJK 漢字 かな カナ 한국어 中文', file=sys.stderr)''',
    r'''print('combining e\u0301 a\u0308 o\u0302\u0323 | RTL مرحبا שלום | zw a\u200bb | '
      'bom \ufeff | astral 𝔘𝔫𝔦 𝟘')''',
    "'ünïcode repr 🐍 漢字\\n'",
    # About 1 MB of text in one cell, then a large execute_result.
    r'''sys.stdout.write(('0123456789' * 10 + '\n') * 10000)''',
    "'x' * 100000",
])

RICH = Case("rich", [
    IMAGES + "from IPython.display import *",
    "display(HTML('<b>bold</b> ü'))",
    "display(Markdown('# Title\\n\\n* item *ü*\\n'))",
    r'''display(Latex(r'$\alpha^2 + \beta$'), Math(r'\int_0^1 x\,dx'))''',
    "display(JSON({'a': [1, 2.5, None, True, 'ü'], 'nested': {'k': {}}}, expanded=True))",
    "JSON(['a list', 1])",
    r'''SVG("""<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">
  <circle cx="5" cy="5" r="4" fill="red"/>
</svg>""")''',
    "display(Javascript('console.log(1)'))",
    "display(Image(data=PNG))\ndisplay(Image(data=PNG2, width=30, height=20))",
    "display(Image(data=JPEG, format='jpeg'))",
    "Image(data=JPEG, format='jpeg', alt='noise')",
    "display(1, 'two', [3, 4])",
    "display(HTML('<i>only html</i>'), include=['text/html'])\n"
    "display(HTML('<i>no html</i>'), exclude=['text/html'])",
    r'''display({'text/plain': 'raw plain', 'text/html': '<p>raw\n</p>',
         'application/vnd.custom+json': {'k': [1, 2]}},
        raw=True, metadata={'text/html': {'isolated': True}})''',
    r'''publish_display_data(
    {'application/octet-stream': base64.b64encode(bytes(range(256))).decode(),
     'text/plain': 'bytes'},
    metadata={'application/octet-stream': {'size': 256}})''',
    "display({}, raw=True)",
    r'''class Bundle:
    def _repr_mimebundle_(self, include=None, exclude=None):
        data = {'text/plain': 'Bundle()', 'text/html': '<p>bundle</p>', 'image/png': PNG,
                'application/json': {'x': 1}}
        metadata = {'image/png': {'width': 6, 'height': 4},
                    'application/json': {'expanded': False}}
        return data, metadata
Bundle()''',
    r'''class Reprs:
    def _repr_html_(self): return '<em>html</em>', {'isolated': True}
    def _repr_markdown_(self): return '**md**'
    def _repr_latex_(self): return '$x$'
    def _repr_json_(self): return {'json': [1, 2]}
    def _repr_svg_(self): return '<svg xmlns="http://www.w3.org/2000/svg"/>'
    def _repr_png_(self): return PNG
    def _repr_jpeg_(self): return JPEG
    def _repr_pretty_(self, p, cycle): p.text('Reprs(pretty)')
Reprs()''',
    "display(Pretty('pretty\\ntext'))",
    "42", "3.5", "'text'", "[1, 'ü', None, {'k': (1, 2)}]", "{'b': 2, 'a': 1}",
    "list(range(100))", "None", "1;", "b'\\x00bytes\\xff'", "object()",
    "print('before'); display('middle'); 'after'",
    # JSON numbers at the edges of int64 and double, and the types of 1 vs 1.0 vs True.
    "JSON({'int': 2**63 - 1, 'neg': -2**63, 'one': 1, 'onef': 1.0, 'true': True, 'f': 0.1,"
    " 'tiny': 5e-324, 'huge': 1.7976931348623157e308, 'neg0': -0.0, 'e16': 1e16})",
])

BIG_INTS = Case("big_ints", [
    "from IPython.display import JSON",
    # Beyond 64 bits: Python keeps the exact integer in the message and in the file.
    "JSON({'u64max': 2**64 - 1, 'over': 2**64 + 1, 'under': -2**63 - 1})",
])

DISPLAY = Case("display", [
    "from IPython.display import *\n" + IMAGES,
    "h = display(HTML('<b>v1</b>'), display_id=True)\ndisplay('fixed-1', display_id='fixed')",
    # A second output with the same id: nbclient updates the first one too.
    "display('fixed-2', display_id='fixed')\nprint('between')",
    "h.update(Markdown('**v2**'))",
    "update_display('fixed-3', display_id='fixed')",
    "update_display(Image(data=PNG, width=4), display_id='fixed')",
    "display('fixed-4', display_id='fixed', update=True)",
    "update_display('nobody', display_id='never-shown')",
    # Cleared outputs leave the display map: a later update must not resurrect them.
    "display('in-cleared', display_id='gone')\nclear_output()\nprint('after clear')",
    "update_display('should not appear', display_id='gone')",
    # An update while a wait-clear is pending changes the output and does not run the clear.
    "w = display('w1', display_id='waiting')\nclear_output(wait=True)\nw.update('w2')",
    "v = display('v1', display_id='waiting2')\nclear_output(wait=True)\nv.update('v2')\n"
    "print('clears now')",
    "v.update('v3')",
    "late = display(display_id=True)\nlate.display('late')\nlate.update('later')",
    # IPython passes a display_id through as given: numbers work as ids too.
    "display('int id 1', display_id=5)\ndisplay('float id 1', display_id=2.5)",
    "update_display('int id 2', display_id=5)\nupdate_display('float id 2', display_id=2.5)",
    # Messages a kernel may send that IPython's API does not produce.
    r'''ip = get_ipython()
def send(msg_type, content):
    ip.kernel.session.send(ip.kernel.iopub_socket, msg_type, content, parent=ip.parent_header)
send('display_data', {'data': {'text/plain': 'null transient'}, 'metadata': {},
                      'transient': None})
send('display_data', {'data': {'text/plain': 'empty transient'}, 'metadata': {},
                      'transient': {}})
send('display_data', {'data': {'text/plain': 'extra keys'}, 'metadata': {'m': 1},
                      'transient': {'display_id': 'crafted', 'other': 1}, 'unexpected': 1})
send('nbexec_unknown_type', {'data': {'text/plain': 'ignored'}})
# Another request's output: both clients drop it.
other = {'header': dict(ip.parent_header['header'], msg_id='another-request')}
_ = ip.kernel.session.send(ip.kernel.iopub_socket, 'stream',
                           {'name': 'stdout', 'text': 'wrong parent\n'}, parent=other)''',
    r'''send('execute_result', {'data': {'text/plain': 'crafted result'}, 'metadata': {},
                        'execution_count': ip.execution_count - 1,
                        'transient': {'display_id': 'crafted'}})''',
    r'''send('update_display_data', {'data': {'text/plain': 'crafted update'},
                             'metadata': {'u': 2}, 'transient': {'display_id': 'crafted'}})''',
])

CLEAR = Case("clear", [
    "from IPython.display import clear_output, display, HTML\nimport sys",
    "for i in range(5):\n    clear_output()\n    print(i)",
    "for i in range(5):\n    clear_output(wait=True)\n    print(i)",
    "for i in range(3):\n    clear_output(wait=True)\n    display(HTML(f'<p>{i}</p>'))\n"
    "    print('err', i, file=sys.stderr)",
    "print('gone')\nclear_output()",
    "print('kept', end='')\nclear_output(wait=True)",
    "print('next cell starts clean')",
    "print('a', end='')\nclear_output(wait=True)\nprint('b', end='')",
    "print('x'); sys.stdout.flush()\nclear_output(wait=True)\nclear_output(wait=True)\nprint('y')",
    "clear_output()",
])

ERRORS = Case("errors", allow_errors=True, cells=[
    "undefined_name",
    r'''try:
    {}['missing']
except KeyError as e:
    raise ValueError('wrapped ü') from e''',
    r'''class Bad(Exception):
    pass
raise Bad('ünïcode 💥 message\nsecond line')''',
    "def broken(:\n    pass",
    "if True:\npass",
    r'''import sys
print('before'); sys.stdout.flush()
print('to stderr', file=sys.stderr); sys.stderr.flush()
from IPython.display import HTML, display
display(HTML('<p>shown</p>'))
1 / 0''',
    "raise RuntimeError()",
    "assert 1 == 2, 'assertion message'",
    r'''class NoStr(Exception):
    def __str__(self):
        raise ValueError('str fails')
raise NoStr()''',
    "raise KeyboardInterrupt",
    # A failing formatter: IPython reports the error and the result still shows as text.
    r'''class Fails:
    def _repr_html_(self):
        raise ValueError('broken _repr_html_')
    def __repr__(self):
        return 'Fails()'
Fails()''',
    "raise SystemExit('bye')",
    "%not_a_magic",
    "%xmode Plain",
    "def f():\n    return g()\ndef g():\n    raise TypeError('plain traceback')\nf()",
    "%xmode Minimal",
    "[][1]",
    "%xmode Context",
    "print('still running')",
])

MISC = Case("misc", [
    new_markdown_cell("# Misc\nmagics, comms, empty and skipped cells"),
    new_raw_cell("raw text, never executed"),
    "",
    "   \n\t\n  ",
    "x = 1",
    "# only a comment",
    tagged("print('skipped')", "skip-execution"),
    "x",
    tagged("import sys\nprint('tagged raises')\nraise ValueError('expected')", "raises-exception"),
    "print('runs after the tagged error')",
    "%%capture cap\nprint('captured')\nfrom IPython.display import HTML, display\n"
    "display(HTML('<i>captured html</i>'))",
    "cap.show()",
    "cap.stdout",
    "%%html\n<b>html magic</b>",
    "%%markdown\n**markdown magic**",
    "%%latex\n$\\sum_i i$",
    "%%svg\n<svg xmlns='http://www.w3.org/2000/svg' width='4' height='4'/>",
    "%%javascript\nconsole.log('js')",
    "%%writefile nbexec_corpus_file.txt\nline 1\nünïcode",
    "!echo shell output",
    "out = !echo captured shell\nout",
    "%precision 2\n3.14159",
    "%precision\n%pprint",
    "{'b': 2, 'a': 1}",
    "%pprint",
    # Help goes to the execute_reply payload, which neither client stores as an output.
    "len?",
    # Comm traffic is not an output; nbclient warns that no handler exists and goes on.
    r'''import warnings
from ipykernel.comm import Comm
with warnings.catch_warnings():
    # ipykernel 7 deprecates this class; the warning would name a per-process temp path.
    warnings.simplefilter('ignore', DeprecationWarning)
    c = Comm(target_name='nbexec-test', data={'hello': 'ü'})
c.send({'n': 1}, buffers=[b'\x00\x01'])
c.close()
from comm import create_comm
c2 = create_comm(target_name='jupyter.widget',
                 data={'state': {'_model_name': 'X', '_model_module': 'nowhere'},
                       'buffer_paths': []})
c2.send({'method': 'update', 'state': {'v': 1}, 'buffer_paths': [['b']]}, buffers=[b'\xff'])
print('comms done')''',
])

# Blank to Python's str.strip(), which nbclient uses to skip a cell, though not ASCII blanks.
UNICODE_BLANK = Case("unicode_blank", [
    "1",
    "\u00a0\u3000",
    "\x1c\n\u2028\n\x85",
    "2",
])

# The kernel counts executions; nbclient's execute() numbers cells itself (papermill and nbexec
# take the kernel's count). This case makes the two disagree on purpose.
KERNEL_COUNT = Case("kernel_count", [
    "1",
    "get_ipython().execution_count += 10",
    "2",
    "print('count')",
])

CASES = [STREAMS, RICH, BIG_INTS, DISPLAY, CLEAR, ERRORS, MISC, UNICODE_BLANK]
