"""Every sentence the engine says, as templates keyed by a stable code.

The engine speaks English; the app translates by looking the code up in its
catalog and filling in the same arguments, so a message is never parsed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .printable import printable

TEMPLATES: dict[str, str] = {
    "did_you_mean": " (did you mean '{name}'?)",
    # before a problem: where it is
    "where_layer": "layer {index} {type}: ",
    "where_path": "{path} {type}: ",
    # a join as one row of a tree (blocks.Join.row_message)
    "join_sum": "= body + shortcut",
    "join_sum_then": "= body + shortcut, {activation}",
    "join_concat": "= concat {counts}",
    "join_concat_unknown": "= concat",
    "dilated_span": " with dilation {dilation} spans {spans}, which",
    # network-level
    "not_object": "a network must be a JSON object with \"input\" and \"layers\", got {got}",
    "unknown_key": "unknown key '{got}'{hint}; a network takes {known}",
    "missing_key": "the network needs \"{key}\", e.g. {example}",
    "bad_text": "\"{key}\" must be text, got {got}",
    "bad_input": "\"input\" must be [channels, height, width], each a whole number >= 1, got {got}",
    "bad_layers": "\"layers\" must be a list of layer objects, got {got}",
    "bad_classes": "\"classes\" must be a list of class names (text), got {got}",
    "classes_mismatch": "the network ends with {n} outputs but \"classes\" names {k}; give one name per output",
    # layer fields
    "layer_not_object": "a layer must be an object such as {{\"type\": \"relu\"}}, got {got}",
    "missing_type": "the layer has no \"type\"; use one of {known}",
    "unknown_type": "unknown layer type '{got}'{hint}; known types: {known}",
    "unknown_field": "unknown field '{got}'{hint}; {type} takes {known}",
    "missing_field": "{type} needs \"{field}\", e.g. \"{field}\": {example}",
    "not_whole": "{field} must be a whole number, got {got}",
    "below_one": "{field} must be at least 1, got {got}",
    "field_too_large": "{field} must be at most {limit}, got {got}; no real layer is that large",
    "negative": "{field} must be 0 or more, got {got}",
    "bad_pair": "{field} takes a number or a [height, width] pair, got {got}",
    "bad_bool": "{field} must be true or false, got {got}",
    "bad_number": "{field} must be a number, got {got}",
    "bad_conv_padding": "padding takes a number, a [height, width] pair, \"valid\" or \"same\", got {got}",
    "same_needs_stride_1": "padding \"same\" needs stride 1 (as in PyTorch) but stride is {stride}; give padding as a number or set stride to 1",
    # shape checks
    "kernel_too_big": "the {kernel} kernel{span} does not fit the {size} input (padding {padding}); {fix}",
    "fix_padding": "use padding >= {need} or a smaller kernel",
    "fix_smaller_kernel": "use a smaller kernel",
    "pool_padding_too_big": "padding {padding} is more than half the {kernel} kernel; pooling padding can be at most {limit} (kernel_size // 2, PyTorch's rule)",
    "needs_vector": "{type} needs a vector but its input is {shape}; add flatten or global_avg_pool before it",
    "needs_maps": "{type} needs feature maps (channels x height x width) but its input is a vector of {n} values; put conv and pooling layers before flatten",
    # new layer types (#16): conv groups, batch norm, dropout
    "bad_number_or_null": "{field} must be a number or null, got {got}",
    "groups_in_channels": "groups {groups} does not divide the {channels} input channels; groups that divide both {c_in} and {c_out}: {choices}",
    "groups_out_channels": "groups {groups} does not divide the {channels} output channels (out_channels); groups that divide both {c_in} and {c_out}: {choices}",
    "batchnorm_needs_maps": "batchnorm2d normalises each channel of feature maps, but its input is a vector of {n} values; put it after a conv layer, before flatten (batch norm of vectors, PyTorch's BatchNorm1d, is not a cnntui layer)",
    "batchnorm_eps": "eps must be more than 0 (it keeps the division by the standard deviation finite), got {got}",
    "batchnorm_one_value": "batchnorm2d {path} in training needs more than one value per channel for the batch's variance, but a batch of 1 with 1x1 maps has only one; train with a batch of 2 or more",
    "dropout_p_range": "p is the fraction of values dropped, at least 0 and below 1, got {got}",
    # notes (not errors)
    "unused_inputs": "stride {stride} leaves input {axis} {which} unused: no window reaches them",
    "flatten_of_vector": "the input is already a vector, so flatten changes nothing",
    "depthwise_conv": "groups equals the {channels} input channels: a depthwise convolution, where each filter reads one input channel only",
    "batchnorm_buffers": "the running mean and variance ({count} values) and num_batches_tracked are saved with the weights but not learned, so they are not counted as parameters",
    # blocks (blocks.py)
    "residual_mismatch": "the body gives {body} but the shortcut gives {shortcut}; the two are added, so they must be the same shape: {fix}",
    "concat_mismatch": "branch '{first}' gives {first_shape} but branch '{other}' gives {other_shape}; branches are joined along the channels, so their heights and widths must agree (check their strides, padding and ceil_mode)",
    "bad_name": "a name must be letters, digits or '_' (PyTorch's module names; \"\" to name the children as the parent's), got {got}",
    "duplicate_name": "two children of {block} are named '{got}'; give one of them another \"name\"",
    "unknown_block_key": "unknown key '{got}'{hint}; a {type} block takes {known} (and \"name\")",
    "missing_block_key": "a {type} block needs \"{key}\", e.g. \"{key}\": {example}",
    "bad_block_list": "\"{key}\" of a {type} block must be a list of layers or blocks, got {got}",
    "concat_few_branches": "a concat block joins at least 2 branches, got {n}; for one branch use a sequential block",
    "bad_shortcut": "\"shortcut\" must be one layer or block (leave it out for the identity), got {got}",
    "duplicate_path": "this step would be named '{got}', the name step {other} already has (a block named \"\" puts its children in its parent's list); give one of them another \"name\"",
    "bad_block_activation": "a residual block's \"activation\" must be an activation type ({known}) or null, got {got}{hint}",
    "bad_normalize": "\"normalize\" must be {{\"mean\": [...], \"std\": [...]}} with {channels} numbers each (one per input channel, std above 0), got {got}",
    "reserved_path": "a step may not be named '{got}': cnntui forward saves the network's input and output under those names; choose another \"name\"",
    "fix_add_shortcut_conv": "give the block a shortcut, a 1x1 conv2d with stride {stride} and {channels} output channels (usually followed by batchnorm2d)",
    "fix_add_shortcut": "give the block a shortcut that outputs {shape}",
    "fix_change_shortcut": "change the shortcut so that it outputs {shape}",
    "the_network": "the network",
    "empty_layer_name": "only a block may have the name \"\" (its children then take its place in the list); give this layer a name or leave \"name\" out",
    "join_needs_name": "a residual or concat block at the top of the network needs a name of its own: its sum or concatenation is saved under it; give it a \"name\"",
    # the one-line text form (textform.py)
    "text_needs_input": "start with the input shape, e.g. \"in 1x28x28 | conv 6 k5 | ...\"",
    "text_bad_input": "'{token}' is not an input shape; write channels x height x width, e.g. \"in 3x64x64\"",
    "text_empty_layer": "an empty layer between two '|'; remove a '|' or put a layer there",
    "text_unknown_word": "unknown layer '{token}'{hint}; layers: {known}",
    "text_needs_number": "'{token}': {word} needs a size next, e.g. \"{example}\"",
    "text_needs_kernel": "conv needs a kernel size, e.g. \"conv 6 k5\"",
    "text_bad_option": "'{token}' is not an option of {word}; its options are {options}",
    "text_no_options": "'{token}': {word} takes no options; put '|' before the next layer",
    "text_stray_close": "')' closes no block; remove it",
    "text_stray_semicolon": "';' separates a residual block's shortcut, res( body ; shortcut ), or the branches of cat( a ; b ); between layers write '|'",
    "text_unclosed": "'{word}(' is never closed; add ')' after its last layer",
    "text_empty_branch": "an empty branch or shortcut; put a layer or block there, or seq() for one that passes its input on unchanged",
    "text_branch_one_node": "'|' inside cat( ... ): each branch is one layer or block; wrap several layers in seq( ... ) and separate the branches with ';'",
    "text_shortcut_one_node": "'|' after the shortcut: a shortcut is one layer or block; wrap several layers in seq( ... ), e.g. \"res( conv 16 k3 p1 ; seq( conv 16 k1 | bn ) )\"",
    "text_two_shortcuts": "a second ';' in res( ... ): a residual block has one shortcut; wrap several layers in seq( ... )",
    "text_needs_paren": "{word} needs '(' right after it, e.g. \"{example}\"",
    "text_bad_name": "'{token}' is not a name: use letters, digits and _ only, e.g. \"conv1:conv 64 k7\"",
    "text_misplaced_colon": "':' goes between a name and the layer or block it names, e.g. \"conv1:conv 64 k7\" (a ':' alone in front of a block names its children as if they were its parent's)",
    "text_misplaced_paren": "'(' goes only right after seq, res or cat, e.g. \"seq( conv 16 k3 | relu )\"",
    "text_after_block": "'{token}' after {word}( ... ): put '|' before the next layer (only res( ... ) takes a word after it, e.g. act=relu)",
    "text_bad_activation": "'{token}': act= takes an activation{hint}, one of {known}",
    # weights and memory
    "no_weights": "the network has no weights yet; call init_weights(seed) or load_weights(path)",
    "weights_missing_key": "the weights file has no '{key}' for layer {index} {type}; it needs {shape}",
    "weights_extra_key": "the weights file has '{key}', which no layer uses{hint}; this network's keys are like '{example}'",
    "weights_bad_shape": "'{key}' has shape {got} but layer {index} {type} needs {want}",
    "weights_not_numeric": "'{key}' holds {dtype} values; weights must be numbers",
    "state_negative_variance": "'{key}' of layer {index} {type} has a negative value, and a variance cannot be below 0 (batch norm would give NaN); the file is not a batch norm's running_var",
    "state_bad_count": "'{key}' of layer {index} {type} counts batches, so it must be a whole number 0 or more",
    "weights_not_finite": "'{key}' contains NaN or infinity",
    "weights_unreadable": "{path} is not a readable .npz weights file: {reason}",
    # Network.weights_problem(): the "weights" a network file names, refused or missing
    "weights_absolute": "{path} names its weights by the absolute path {got}; a network file names a .npz in its own folder, e.g. \"weights\": \"{example}\"",
    "weights_link_outside": "{path} names the weights {got}, a symbolic link that leads outside its folder; copy the .npz itself beside the network file",
    "weights_outside": "{path} names the weights {got}, which lies outside its folder; put the .npz beside the network file and name it there, e.g. \"weights\": \"{example}\"",
    "weights_not_found": "{path} names the weights {got}, not found beside it",
    "weights_not_file": "{path} names the weights {got}, which is not a regular file",
    "weights_fallback": "{problem}; using seeded random weights (seed {seed})",
    # non-finite numbers in a forward pass
    "input_not_finite": "the input is not all finite numbers ({nan} NaN, {inf} infinite); replace them with numbers, e.g. numpy.nan_to_num",
    "outputs_overflowed": "the outputs overflowed from layer {index} {type} on: float32 reaches about 3.4e38 (the input's largest value is {largest}); scale the input or the weights down",
    "input_beyond_float32": "the input holds values up to {largest}, beyond float32's range (about 3.4e38); scale it down, e.g. to 0..1",
    "train_input": "{name} takes {shape} but the {dataset} dataset is {want}; pick the other dataset or change the network's input",
    "train_classes": "{name} ends in {shape} but the {dataset} dataset has {count} classes; end the network with a linear layer of {count} outputs",
    "weights_too_big": "{name} has {params} parameters ({size}), more than the {budget} allowed for weights; it is meant for analysis: 'cnntui summary {name}' or Build mode",
    "memory_budget": "this forward pass would need about {need} ({detail}), more than the {budget} budget; use a smaller batch or input, or raise the budget",
    "input_shape": "the input has shape {got} but {name} takes {want} (or N x {want}); resize it or change the network's input",
    "input_not_numeric": "the input holds {dtype} values; it must be numbers",
    "kernel_shape": "the {name} kernel is {got} but layer {index} has {want} kernels",
    "not_conv": "layer {index} is {type}, not conv2d; kernels go into conv2d layers",
    "channel_range": "{what} {got} is out of range: layer {index} has {count} (0 to {last})",
    "unknown_kernel": "unknown kernel '{got}'{hint}; classic kernels: {known}",
    "unknown_preset": "unknown network '{got}'{hint}; presets: {known}; or give the path of a .json file",
    "unknown_sample": "unknown sample image '{got}'{hint}; samples: {known}",
    "no_input": "no file or sample image named '{got}'{hint}; give the path of an image or .npy file, or a sample: {known}",
    "unknown_layer_path": "no step of {name} has the path '{got}'{hint}; 'cnntui summary {name}' shows the paths",
    "layer_range": "layer {got} is out of range: {name} has {count} layers (0 to {last}), and 'input' is its input; 'cnntui summary {name}' lists them",
    "map_channel_range": "channel {got} is out of range: layer {index} has channels 0 to {last} ({count} in all); leave out --channel to see them all",
    "input_channel_range": "channel {got} is out of range: the input has channels 0 to {last} ({count} in all); leave out --channel to see them all",
    "vector_channel": "channel {got} is out of range: layer {index} outputs a vector of {count} values, drawn as one map; use --channel 0 or leave it out",
    "bad_image": "{path} is not an image Pillow can read ({reason}); use PNG, JPEG, BMP or GIF, or a .npy array",
    "image_too_big": "{path} is too large to decode safely ({pixels} pixels, limit {limit}); shrink it first",
    # the digit preparation's steps (digit_input.prepare_digit), joined into the input's note
    "digit_inverted": "light background: inverted",
    "digit_stretched": "contrast stretched",
    "digit_centred": "cropped to the digit, scaled and centred by its centre of mass",
    "digit_kept": "the digit already has the training digits' size and place: not moved",
    "digit_empty": "no digit found, so it is only resized",
    "digit_raw_hint": "--raw gives the network the image only resized",
    "image_channels": "{name} takes {channels} input channels but an image gives 1 (grey) or 3 (RGB); give a .npy array of shape {shape} instead",
    "bad_npy": "{path} is not a NumPy .npy array file: {reason}",
    "unwritable": "cannot write {path}: {reason}",
    # outputs of the commands, checked before any work
    "output_is_input": "{output} is the same file as {input}, which this command reads; writing it would destroy that file, so give {option} another name",
    "outputs_clash": "{output} is the same file as {other}; give {option} another name",
    "output_exists": "{output} already exists and is not a file cnntui {command} wrote; --force replaces it, or give {option} another name",
    "output_not_file": "{output} is {what}, not a file; give {option} the path of a file to write",
    "output_in_cnntui_folder": "{output} is in {folder}, where cnntui keeps its own files (settings, progress, lab material), so it writes no output there, even with --force; give {option} a file elsewhere, such as ./{name}",
    "train_samples_few": "--samples {got} is too few: a fifth is held back for validation, and it needs a sample of each of the {dataset} dataset's {classes} classes; give --samples {least} or more",
    "train_memory": "--samples {got} would need about {need} of memory ({detail}), more than the {budget} budget; give --samples {most} or fewer",
    "train_batch_memory": "a training step of batch {batch} alone would need about {need}, leaving too little of the {budget} budget for the samples; give a smaller --batch",
    "bad_json": "{path}: line {line} column {column}: {reason}",
    "unreadable": "cannot read {path}: {reason}",
    # the system's reasons a file could not be read or written (errors.system_reason)
    "os_denied": "permission denied",
    "os_folder": "it is a folder",
    "os_not_folder": "a part of the path is not a folder",
    "os_missing": "no such file or folder",
    "os_full": "the disk is full",
    "os_quota": "your disk quota is used up",
    "os_read_only": "the file system is read-only",
    "os_long_name": "the name is too long",
    "os_locked": "another program kept it locked",
    # reading.py: only regular files, of a sensible size; headers checked before data is read
    "not_regular": "cannot read {path}: it is {kind}, not a regular file; give the path of a file",
    "file_too_big": "{path} is {size}, more than any {what} needs ({limit} at most); check that it is the right file",
    "json_too_deep": "{path} nests lists and objects more than {limit} deep; a network needs 4 levels (the network, its layers, a layer, a [height, width] pair)",
    "json_long_number": "{path} holds a number of more than {limit} digits; no network needs one, so check that it is the right file",
    "empty_batch": "{path} holds a batch of 0 inputs (shape {shape}); give at least one",
    "npy_short": "{path} is damaged: its header promises {want} of data but the file holds {have}",
    "weights_too_large": "{path} would hold {size} of arrays (as their headers say), more than the {budget} allowed for weights; check that it is the right file",
    "weights_member_short": "{path} is damaged: by its header '{key}' holds {want}, but its entry in the archive holds {have}",
    "input_too_large": "each size in \"input\" must be at most {limit}, got {got}; no image is that large (one grey image of 100,000 x 100,000 is already 37 GiB)",
    # quiz worksheets
    "unknown_topic": "unknown topic '{got}'{hint}; topics: {known}",
    "question_count": "the number of questions must be 1 to {most}, got {got}",
    # image folders as datasets (cnntui/train/folders.py)
    "folder_not_folder": "{path} is not a folder; give a folder with one subfolder of images per class, such as pets/cat/1.png",
    "folder_unreadable": "cannot read the folder {path}: {reason}",
    "folder_not_found": "there is no folder {path}; give the path of a folder with one subfolder of images per class",
    "folder_no_classes": "{path} has no class folders; put each class's images in a subfolder named after the class, such as {path}/cat/1.png",
    "folder_one_class": "{path} has one class folder ({name}); a network learns to tell classes apart, so add a folder for at least one more class",
    "folder_class_empty": "the class folder {name} in {path} has no files; add images to it or remove it",
    "folder_class_unreadable": "the class folder {name} in {path} has no readable image; add images (PNG, JPEG, BMP, GIF) to it or remove it",
    "folder_class_few_files": "the class folder {name} in {path} has only {got} files; a fifth of each class is held back for validation, so give every class at least {least} images",
    "folder_class_few": "the class {name} in {path} has too few readable images ({got}); a fifth of each class is held back for validation, so give every class at least {least}",
    "folder_channels": "{name} takes {shape}; images can be converted to 1 channel (grey) or 3 (RGB), so change the network's input",
    "folder_outputs": "{name} ends in {shape} outputs but {path} has {count} classes: make the last layer's out_features {count} (Build: e on it; or in the network's JSON file)",
    "folder_memory": "the {count} images of {path} would need about {need} of memory with a training step, more than the {budget} budget; use a folder of at most {most} images or a smaller network input",
    "train_dataset_unknown": "--dataset '{got}' is neither a built-in dataset{hint} nor a folder; give digits, shapes or the path of a folder with one subfolder of images per class",
    # cnntui predict (cnntui/predict.py)
    "predict_missing": "{path} does not exist; give an image file or a folder of images",
    "predict_empty_folder": "the folder {path} has no files (hidden ones are skipped); put images in it, or name the image files instead",
    "predict_only_folders": "{path} holds folders, not images: give them, e.g. {example}",
    "predict_not_classifier": "{name} ends in {shape}, not one score per class; predict needs a network whose last layer gives a vector, such as a linear layer",
    "predict_no_weights": "{name} has no trained weights, so its answers would be guesses; give weights with --weights W.npz (cnntui train makes them)",
    "predict_weights_problem": "{problem}; give weights with --weights W.npz instead",
    "predict_nothing_read": "no file could be read as an image ({count} tried; each one's reason is given above)",
}


@dataclass(frozen=True)
class Message:
    """A sentence as a code plus the values it mentions."""

    code: str
    args: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return TEMPLATES[self.code].format(**{name: _shown(value) for name, value in self.args.items()})


def _shown(value: Any) -> Any:
    """An argument as the sentence shows it: numbers as they are (a template may format them), anything
    else as text with its control characters escaped, as it may come from a file or an argument."""
    if isinstance(value, (int, float)):
        return value
    return printable(str(value))
