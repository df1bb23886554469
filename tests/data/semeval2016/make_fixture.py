"""Writes the SemEval-2016 Task 6A fixture: invented tweets in the original file layout
(tab-separated, cp1252 with curly quotes, unquoted fields holding stray " characters,
header ID Target Tweet Stance Opinion Towards Sentiment). Run it to regenerate the files."""

from pathlib import Path

HEADER = "ID\tTarget\tTweet\tStance\tOpinion Towards\tSentiment"
OPINION = "1.  The tweet explicitly expresses opinion about the target."
C, H, A = "Climate Change is a Real Concern", "Hillary Clinton", "Atheism"
TRAIN = [
    (101, C, "We must act now on emissions, the science is clear #SemST", "FAVOR", "pos"),
    (102, C, "Support the climate strike today! Our planet needs us #SemST", "FAVOR", "pos"),
    (103, C, 'Global warming is a hoax invented by "experts #SemST', "AGAINST", "neg"),
    (104, C, "Stop the climate scare, it's all exaggerated #SemST", "AGAINST", "neg"),
    (105, C, "Went to the beach with the kids today #SemST", "NONE", "pos"),
    (106, H, "Proud to vote for Hillary, she is ready to lead #SemST", "FAVOR", "pos"),
    (107, H, "Hillary lied again \u201cdead broke\u201d my foot #SemST", "AGAINST", "neg"),
    (108, H, "Never trust Hillary with classified emails #SemST", "AGAINST", "neg"),
    (109, H, "Watching the debate with friends tonight #SemST", "NONE", "other"),
    (110, A, "Religion has no place in our schools #SemST", "FAVOR", "neg"),
    (111, A, "God is love and faith gives us hope #SemST", "AGAINST", "pos"),
    (112, A, "Pray every day, the Lord is good #SemST", "AGAINST", "pos"),
]
TRIAL = [
    (1, C, "Record heat again, support climate action now #SemST", "FAVOR", "neg"),
    (2, H, "Hillary for president, she fights for us #SemST", "FAVOR", "pos"),
    (3, A, "Faith in God keeps me going \u201cblessed\u201d #SemST", "AGAINST", "pos"),
]
TEST = [
    (10001, C, "Climate action now, the science is clear #SemST", "FAVOR", "pos"),
    (10002, C, "The climate scare is a hoax #SemST", "AGAINST", "neg"),
    (10003, H, "Hillary lied about the emails #SemST", "AGAINST", "neg"),
    (10004, H, "Vote for Hillary, she is ready #SemST", "FAVOR", "pos"),
    (10005, A, 'The Lord is good, pray with me "friends #SemST', "AGAINST", "pos"),
    (10006, C, "Lunch at the beach was fun #SemST", "NONE", "pos"),
]


def write(path: Path, rows) -> None:
    lines = [HEADER] + [f"{i}\t{t}\t{tw}\t{s}\t{OPINION}\t{sent}" for i, t, tw, s, sent in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


if __name__ == "__main__":
    here = Path(__file__).parent
    write(here / "trainingdata-all-annotations.txt", TRAIN)
    write(here / "trialdata-all-annotations.txt", TRIAL)
    write(here / "testdata-taskA-all-annotations.txt", TEST)
